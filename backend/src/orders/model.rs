//! Order and product entities and their enums.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where an order stands. Only the statuses that [`OrderStatus::counts`]
/// add to the customer's spend and order count.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed, not confirmed yet.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "SHIPPING")]
    Shipping,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// The goods came back (refused or returned): counts in the return rate.
    #[sea_orm(string_value = "RETURNED")]
    Returned,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

impl OrderStatus {
    /// Whether the order adds to the customer's spend, order count and last
    /// order date (everything but CANCELLED and RETURNED).
    pub fn counts(self) -> bool {
        !matches!(self, Self::Cancelled | Self::Returned)
    }

    /// The statuses that count, for queries.
    pub const COUNTED: [OrderStatus; 4] = [Self::Pending, Self::Confirmed, Self::Shipping, Self::Delivered];

    /// Whether `self → to` is allowed: forward along PENDING → CONFIRMED →
    /// SHIPPING → DELIVERED, CANCELLED before delivery, RETURNED from
    /// SHIPPING or DELIVERED. CANCELLED and RETURNED are final.
    pub fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, to),
            (Pending, Confirmed | Shipping | Delivered | Cancelled)
                | (Confirmed, Shipping | Delivered | Cancelled)
                | (Shipping, Delivered | Returned | Cancelled)
                | (Delivered, Returned)
        )
    }
}

/// Where an order came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderChannel {
    #[sea_orm(string_value = "STORE")]
    Store,
    #[sea_orm(string_value = "WEBSITE")]
    Website,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "FACEBOOK")]
    Facebook,
    #[sea_orm(string_value = "ZALO")]
    Zalo,
    #[sea_orm(string_value = "SHOPEE")]
    Shopee,
    #[sea_orm(string_value = "TIKTOK")]
    Tiktok,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// A single product, or a package of products sold together.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductKind {
    #[sea_orm(string_value = "PRODUCT")]
    Product,
    /// Several products at one price (`components`).
    #[sea_orm(string_value = "PACKAGE")]
    Package,
}

pub mod product {
    //! One catalog entry.
    use sea_orm::entity::prelude::*;

    use super::ProductKind;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub sku: String,
        pub name: String,
        pub kind: ProductKind,
        /// Minor units.
        pub price: i64,
        /// For a package: `[{"sku": "…", "quantity": 2}]`; `[]` otherwise.
        pub components: Json,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod order {
    //! One order.
    use sea_orm::entity::prelude::*;

    use super::{OrderChannel, OrderStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "orders")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `ORD-20261121-001`.
        #[sea_orm(unique)]
        pub code: String,
        pub customer_id: i64,
        /// The id in the system it was imported from; unique.
        pub external_id: Option<String>,
        pub channel: OrderChannel,
        pub status: OrderStatus,
        /// Minor units: the sum of the items, or the amount given.
        pub amount: i64,
        pub item_count: i32,
        pub note: Option<String>,
        pub ordered_at: DateTimeUtc,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod item {
    //! One line of an order.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
    #[sea_orm(table_name = "order_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        /// The catalog entry, when the line names a known SKU.
        pub product_id: Option<i64>,
        pub sku: Option<String>,
        pub name: String,
        pub quantity: i32,
        /// Minor units.
        pub unit_price: i64,
        /// `quantity × unit_price`.
        pub amount: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;

    #[test]
    fn cancelled_and_returned_orders_do_not_count_and_are_final() {
        assert!(Pending.counts() && Delivered.counts());
        assert!(!Cancelled.counts() && !Returned.counts());
        for to in [Pending, Confirmed, Shipping, Delivered, Returned] {
            assert!(!Cancelled.can_become(to));
            assert!(!Returned.can_become(to));
        }
        assert!(Delivered.can_become(Returned));
        assert!(!Delivered.can_become(Cancelled));
        assert!(!Pending.can_become(Returned));
        assert!(Shipping.can_become(Returned));
    }
}
