//! DataLoaders: one per relation, one `IN (…)` query per batch, so that a
//! page of customers with their wallets, notes and agents costs a constant
//! number of queries whatever its size. A fresh set is made per request.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::app::AppCtx;
use crate::auth::model::user;
use crate::customers::model::{customer, note};
use crate::engagement::model::{family_member, interaction};
use crate::error::AppError;
use crate::wallets::model::wallet;

/// A loader's error (cloned to every waiting field).
pub type LoadError = Arc<AppError>;

/// A customer id.
pub type CustomerId = i64;
/// A staff user id.
pub type UserId = i64;

/// Wallets by customer id.
pub struct WalletByCustomer(pub AppCtx);
/// Notes by customer id (pinned first, newest first).
pub struct NotesByCustomer(pub AppCtx);
/// Staff users by id.
pub struct UserById(pub AppCtx);
/// Customers by id (the customers of a page of tickets).
pub struct CustomerById(pub AppCtx);
/// Product recommendations by customer type (for a page of call tasks).
pub struct RecommendationsByType(pub AppCtx);
/// Family members by customer id (oldest entry first).
pub struct FamilyByCustomer(pub AppCtx);
/// Saved segments by id (the segments of a page of campaigns).
pub struct SegmentById(pub AppCtx);
/// A customer's newest interactions: `(customer id, how many)`.
pub type RecentOf = (CustomerId, u64);
/// The newest interactions by [`RecentOf`].
pub struct RecentInteractions(pub AppCtx);

impl Loader<CustomerId> for FamilyByCustomer {
    type Value = Vec<family_member::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[CustomerId]) -> Result<HashMap<CustomerId, Vec<family_member::Model>>, LoadError> {
        let rows = crate::engagement::service::family_of(self.0.db.conn(), keys).await.map_err(Arc::new)?;
        let mut out: HashMap<CustomerId, Vec<family_member::Model>> = HashMap::new();
        for m in rows {
            out.entry(m.customer_id).or_default().push(m);
        }
        Ok(out)
    }
}

impl Loader<RecentOf> for RecentInteractions {
    type Value = Vec<interaction::Model>;
    type Error = LoadError;

    /// One query per distinct page size in the batch (usually one).
    async fn load(&self, keys: &[RecentOf]) -> Result<HashMap<RecentOf, Vec<interaction::Model>>, LoadError> {
        let mut by_size: HashMap<u64, Vec<CustomerId>> = HashMap::new();
        for (customer, first) in keys {
            by_size.entry(*first).or_default().push(*customer);
        }
        let mut out: HashMap<RecentOf, Vec<interaction::Model>> = HashMap::new();
        for (first, customers) in by_size {
            let rows = crate::engagement::service::recent_interactions_of(self.0.db.conn(), &customers, first)
                .await
                .map_err(Arc::new)?;
            for i in rows {
                out.entry((i.customer_id, first)).or_default().push(i);
            }
        }
        Ok(out)
    }
}

impl Loader<i64> for SegmentById {
    type Value = crate::campaigns::model::segment::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, LoadError> {
        let rows = crate::campaigns::service::segments_by_ids(self.0.db.conn(), keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|s| (s.id, s)).collect())
    }
}

impl Loader<CustomerId> for CustomerById {
    type Value = customer::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[CustomerId]) -> Result<HashMap<CustomerId, customer::Model>, LoadError> {
        let rows = crate::customers::service::by_ids(self.0.db.conn(), keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

impl Loader<CustomerId> for WalletByCustomer {
    type Value = wallet::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[CustomerId]) -> Result<HashMap<CustomerId, wallet::Model>, LoadError> {
        let rows = crate::wallets::service::of_customers(self.0.db.conn(), keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|w| (w.customer_id, w)).collect())
    }
}

impl Loader<CustomerId> for NotesByCustomer {
    type Value = Vec<note::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[CustomerId]) -> Result<HashMap<CustomerId, Vec<note::Model>>, LoadError> {
        let rows = crate::customers::service::notes_of(self.0.db.conn(), keys).await.map_err(Arc::new)?;
        let mut out: HashMap<CustomerId, Vec<note::Model>> = HashMap::new();
        for n in rows {
            out.entry(n.customer_id).or_default().push(n);
        }
        Ok(out)
    }
}

impl Loader<UserId> for UserById {
    type Value = user::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, user::Model>, LoadError> {
        let rows = crate::auth::service::users_by_ids(self.0.db.conn(), keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|u| (u.id, u)).collect())
    }
}

impl Loader<crate::customers::model::CustomerType> for RecommendationsByType {
    type Value = Vec<crate::automation::service::Recommendation>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[crate::customers::model::CustomerType],
    ) -> Result<HashMap<crate::customers::model::CustomerType, Self::Value>, LoadError> {
        crate::automation::service::recommendations_for_types(self.0.db.conn(), keys).await.map_err(Arc::new)
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub wallets: DataLoader<WalletByCustomer>,
    pub notes: DataLoader<NotesByCustomer>,
    pub users: DataLoader<UserById>,
    pub customers: DataLoader<CustomerById>,
    pub recommendations: DataLoader<RecommendationsByType>,
    pub family: DataLoader<FamilyByCustomer>,
    pub interactions: DataLoader<RecentInteractions>,
    pub segments: DataLoader<SegmentById>,
}

impl Loaders {
    /// A fresh set for one request or one WebSocket connection.
    pub fn new(app: &AppCtx) -> Arc<Self> {
        Arc::new(Self {
            wallets: DataLoader::new(WalletByCustomer(app.clone()), tokio::spawn),
            notes: DataLoader::new(NotesByCustomer(app.clone()), tokio::spawn),
            users: DataLoader::new(UserById(app.clone()), tokio::spawn),
            customers: DataLoader::new(CustomerById(app.clone()), tokio::spawn),
            recommendations: DataLoader::new(RecommendationsByType(app.clone()), tokio::spawn),
            family: DataLoader::new(FamilyByCustomer(app.clone()), tokio::spawn),
            interactions: DataLoader::new(RecentInteractions(app.clone()), tokio::spawn),
            segments: DataLoader::new(SegmentById(app.clone()), tokio::spawn),
        })
    }
}

/// The request's loaders.
pub fn loaders<'a>(ctx: &async_graphql::Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<std::sync::Arc<Loaders>>()
}

/// A loader error as a GraphQL error with its code.
pub fn gql(e: LoadError) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    e.extend()
}
