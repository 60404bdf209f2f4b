//! GraphQL face of wallets.

use async_graphql::Object;

use super::model;
use crate::money::Money;

/// A customer's wallet: real money, virtual credits and points.
pub struct Wallet {
    pub model: model::Model,
}

#[Object]
impl Wallet {
    /// Money the customer paid in.
    async fn real_balance(&self) -> Money {
        Money(self.model.real_balance)
    }
    /// Sum of the active virtual credits granted by the shop.
    async fn virtual_balance(&self) -> Money {
        Money(self.model.virtual_balance)
    }
    /// Real plus virtual: what the customer can spend.
    async fn total_balance(&self) -> Money {
        Money(self.model.real_balance + self.model.virtual_balance)
    }
    /// Loyalty points.
    async fn points(&self) -> i64 {
        self.model.points
    }
    /// Everything ever deposited.
    async fn total_deposited(&self) -> Money {
        Money(self.model.total_deposited)
    }
    /// Everything ever withdrawn.
    async fn total_withdrawn(&self) -> Money {
        Money(self.model.total_withdrawn)
    }
    /// Last change.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.model.updated_at
    }
}

impl From<model::Model> for Wallet {
    fn from(model: model::Model) -> Self {
        Self { model }
    }
}
