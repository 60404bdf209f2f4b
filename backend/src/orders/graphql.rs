//! GraphQL face of orders and the catalog: thin resolvers over
//! [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};

use super::model::{OrderChannel, OrderStatus, ProductKind, item, order, product};
use super::service::{self, NewItem, NewOrder, OrderCustomer, OrderFilter as Filter, ProductInput};
use crate::auth::Role;
use crate::customers::graphql::Customer;
use crate::error::AppError;
use crate::graphql::connection;
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, opt_id, parse_id, principal};
use crate::money::Money;

/// A customer's order.
pub struct Order(pub order::Model);

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `ORD-20261121-001`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The id in the system it was imported from.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    async fn channel(&self) -> OrderChannel {
        self.0.channel
    }
    async fn status(&self) -> OrderStatus {
        self.0.status
    }
    /// The sum of the items (or the amount given for an order without items).
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    /// Units over all items.
    async fn item_count(&self) -> i32 {
        self.0.item_count
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn ordered_at(&self) -> DateTime<Utc> {
        self.0.ordered_at
    }
    /// `user:1`, `apikey:3` or `system`.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderItem>> {
        let items = service::items_of(app(ctx), &[self.0.id]).await.extend()?;
        Ok(items.into_iter().map(OrderItem).collect())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        loaders(ctx)
            .customers
            .load_one(self.0.customer_id)
            .await
            .map_err(gql)?
            .map(Customer)
            .ok_or_else(|| AppError::NotFound(format!("customer {}", self.0.customer_id)).extend())
    }
}

/// One line of an order.
pub struct OrderItem(pub item::Model);

#[Object]
impl OrderItem {
    async fn sku(&self) -> Option<&str> {
        self.0.sku.as_deref()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    async fn unit_price(&self) -> Money {
        Money(self.0.unit_price)
    }
    /// `quantity × unitPrice`.
    async fn amount(&self) -> Money {
        Money(self.0.amount)
    }
    /// The catalog entry, when the line named a known SKU.
    async fn product_id(&self) -> Option<ID> {
        self.0.product_id.map(|id| ID(id.to_string()))
    }
}

/// A catalog entry: a product, or a package of products at one price.
pub struct Product(pub product::Model);

/// A product inside a package.
#[derive(SimpleObject)]
pub struct PackageComponent {
    pub sku: String,
    pub quantity: i32,
}

#[Object]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> ProductKind {
        self.0.kind
    }
    async fn price(&self) -> Money {
        Money(self.0.price)
    }
    /// What a PACKAGE contains (empty for a PRODUCT).
    async fn components(&self) -> Vec<PackageComponent> {
        self.0
            .components
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|c| PackageComponent {
                        sku: c["sku"].as_str().unwrap_or_default().to_owned(),
                        quantity: c["quantity"].as_i64().unwrap_or(0) as i32,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
}

crate::graphql::connection::connection!(OrderConnection, OrderEdge, Order);

/// Narrows `orders`.
#[derive(InputObject, Default)]
pub struct OrderFilter {
    pub customer_id: Option<ID>,
    pub statuses: Option<Vec<OrderStatus>>,
    pub channels: Option<Vec<OrderChannel>>,
    /// Ordered at or after.
    pub from: Option<DateTime<Utc>>,
    /// Ordered before.
    pub to: Option<DateTime<Utc>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct OrderCursor(DateTime<Utc>, i64);

/// Orders, newest first; `customer` narrows to one customer.
pub async fn order_connection(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    filter: Option<OrderFilter>,
    customer: Option<i64>,
) -> async_graphql::Result<OrderConnection> {
    let app = app(ctx).clone();
    let actor = principal(ctx)?.clone();
    let first = connection::page_size(first).extend()?;
    let cursor: Option<OrderCursor> = connection::decode_cursor(after.as_deref()).extend()?;
    let f = filter.unwrap_or_default();
    let q = Filter {
        customer_id: customer.or(opt_id(f.customer_id.as_ref(), "filter.customerId")?),
        statuses: f.statuses.unwrap_or_default(),
        channels: f.channels.unwrap_or_default(),
        from: f.from,
        to: f.to,
    };
    let mut rows = service::list(&app, &actor, &q, cursor.as_ref().map(|c| (c.0, c.1)), first + 1).await.extend()?;
    let more = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let items =
        rows.into_iter().map(|o| (connection::encode_cursor(&OrderCursor(o.ordered_at, o.id)), Order(o))).collect();
    let counter: connection::Counter = Arc::new(move || {
        let (app, actor, q) = (app.clone(), actor.clone(), q.clone());
        Box::pin(async move { service::count(&app, &actor, &q).await })
    });
    Ok(OrderConnection::new(items, more, cursor.is_some(), counter))
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// An order by id.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Order> {
        let id = parse_id(&id, "id")?;
        Ok(Order(service::get(app(ctx), principal(ctx)?, id).await.extend()?))
    }

    /// Orders, newest first (an AGENT sees their customers' only).
    #[graphql(
        guard = "RoleGuard::at_least(Role::Viewer)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<OrderFilter>,
    ) -> async_graphql::Result<OrderConnection> {
        order_connection(ctx, first, after, filter, None).await
    }

    /// The catalog by SKU (at most 500); `search` matches SKU or name.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(default = true)] active_only: bool,
    ) -> async_graphql::Result<Vec<Product>> {
        let list = service::products(app(ctx), search.as_deref(), active_only).await.extend()?;
        Ok(list.into_iter().map(Product).collect())
    }
}

/// One line of a new order: a known `sku` gives the name and price when
/// they are left out.
#[derive(InputObject)]
pub struct OrderItemInput {
    pub sku: Option<String>,
    pub name: Option<String>,
    /// 1 to 100,000.
    pub quantity: i32,
    pub unit_price: Option<Money>,
}

/// A new order, for a known customer (`customerId`) or a phone (found or
/// created, with `customerName`).
#[derive(InputObject)]
pub struct CreateOrderInput {
    pub customer_id: Option<ID>,
    pub phone: Option<String>,
    pub customer_name: Option<String>,
    /// The id in the system it comes from: an order with a known external
    /// id is not created twice.
    pub external_id: Option<String>,
    #[graphql(default_with = "OrderChannel::Store")]
    pub channel: OrderChannel,
    #[graphql(default_with = "OrderStatus::Pending")]
    pub status: OrderStatus,
    /// Defaults to now; never in the future.
    pub ordered_at: Option<DateTime<Utc>>,
    #[graphql(default)]
    pub items: Vec<OrderItemInput>,
    /// Required without items; with items it must equal their sum.
    pub amount: Option<Money>,
    pub note: Option<String>,
}

impl CreateOrderInput {
    fn into_new(self, prefix: &str) -> async_graphql::Result<NewOrder> {
        let customer = match (opt_id(self.customer_id.as_ref(), &format!("{prefix}.customerId"))?, self.phone) {
            (Some(id), _) => OrderCustomer::Id(id),
            (None, Some(phone)) => OrderCustomer::Phone { phone, name: self.customer_name },
            (None, None) => {
                return Err(
                    AppError::bad_input(&format!("{prefix}.customerId"), "give a customerId or a phone").extend()
                );
            }
        };
        Ok(NewOrder {
            customer,
            external_id: self.external_id,
            channel: self.channel,
            status: self.status,
            ordered_at: self.ordered_at,
            items: self
                .items
                .into_iter()
                .map(|i| NewItem { sku: i.sku, name: i.name, quantity: i.quantity, unit_price: i.unit_price })
                .collect(),
            amount: self.amount,
            note: self.note,
        })
    }
}

/// The outcome of `createOrder`.
#[derive(SimpleObject)]
pub struct PlacedOrder {
    /// False when an order with the same `externalId` already existed (it
    /// is returned as it is).
    pub created: bool,
    pub order: Order,
}

/// A row `importOrders` skipped.
#[derive(SimpleObject)]
pub struct ImportError {
    /// Position in the `orders` list, from 0.
    pub index: i32,
    /// `extensions.code` the row would have failed with.
    pub code: String,
    /// The input at fault (`orders.3.items.0.quantity`).
    pub field: Option<String>,
    pub message: String,
}

/// What `importOrders` did.
#[derive(SimpleObject)]
pub struct OrderImport {
    pub created: Vec<Order>,
    /// Already imported (same external id): left as they are.
    pub existing: Vec<Order>,
    /// Skipped rows; every other row was kept.
    pub errors: Vec<ImportError>,
}

/// A catalog entry to create, or to replace when the SKU exists.
#[derive(InputObject)]
pub struct ProductInputGql {
    pub sku: String,
    pub name: String,
    #[graphql(default_with = "ProductKind::Product")]
    pub kind: ProductKind,
    pub price: Money,
    /// For a PACKAGE: the products in it.
    #[graphql(default)]
    pub components: Vec<PackageComponentInput>,
    #[graphql(default = true)]
    pub active: bool,
}

/// A product inside a package.
#[derive(InputObject)]
pub struct PackageComponentInput {
    pub sku: String,
    pub quantity: i32,
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Places an order (AGENT for their customers, MANAGER for anyone) and
    /// updates the customer's spend, order count and last order date.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn create_order(&self, ctx: &Context<'_>, input: CreateOrderInput) -> async_graphql::Result<PlacedOrder> {
        let new = input.into_new("input")?;
        let placed = service::create(app(ctx), principal(ctx)?, new, "input").await.extend()?;
        Ok(PlacedOrder { created: placed.created, order: Order(placed.order) })
    }

    /// Imports up to 1,000 orders, each with an `externalId` (MANAGER):
    /// running the same import again creates nothing new. A bad row is
    /// reported by index and skipped; the others are kept.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn import_orders(
        &self,
        ctx: &Context<'_>,
        orders: Vec<CreateOrderInput>,
    ) -> async_graphql::Result<OrderImport> {
        if orders.len() > service::MAX_IMPORT {
            let message = format!("at most {} orders per call", service::MAX_IMPORT);
            return Err(AppError::bad_input("orders", message).extend());
        }
        let mut news = Vec::with_capacity(orders.len());
        let mut early = Vec::new();
        for (i, o) in orders.into_iter().enumerate() {
            match o.into_new(&format!("orders.{i}")) {
                Ok(n) => news.push((i, n)),
                Err(e) => early.push(ImportError {
                    index: i as i32,
                    code: "BAD_USER_INPUT".into(),
                    field: Some(format!("orders.{i}.customerId")),
                    message: e.message,
                }),
            }
        }
        let report = service::import(app(ctx), principal(ctx)?, news).await.extend()?;
        let mut errors = early;
        for (index, e) in report.failed {
            let ext = e.extend();
            let get = |key: &str| {
                ext.extensions.as_ref().and_then(|x| x.get(key)).and_then(|v| match v {
                    async_graphql::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
            };
            errors.push(ImportError {
                index: index as i32,
                code: get("code").unwrap_or_else(|| "INTERNAL".into()),
                field: get("field"),
                message: ext.message,
            });
        }
        errors.sort_by_key(|e| e.index);
        Ok(OrderImport {
            created: report.created.into_iter().map(Order).collect(),
            existing: report.existing.into_iter().map(Order).collect(),
            errors,
        })
    }

    /// Moves an order along PENDING → CONFIRMED → SHIPPING → DELIVERED, or to
    /// CANCELLED (before delivery) or RETURNED (from SHIPPING or DELIVERED)
    /// (MANAGER). Cancelled and returned orders leave the customer's totals.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn set_order_status(&self, ctx: &Context<'_>, id: ID, status: OrderStatus) -> async_graphql::Result<Order> {
        let id = parse_id(&id, "id")?;
        Ok(Order(service::set_status(app(ctx), principal(ctx)?, id, status).await.extend()?))
    }

    /// Creates a catalog entry, or replaces the one with the same SKU
    /// (MANAGER).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn save_product(&self, ctx: &Context<'_>, input: ProductInputGql) -> async_graphql::Result<Product> {
        let input = ProductInput {
            sku: input.sku,
            name: input.name,
            kind: input.kind,
            price: input.price,
            components: input.components.into_iter().map(|c| (c.sku, c.quantity)).collect(),
            active: input.active,
        };
        Ok(Product(service::save_product(app(ctx), principal(ctx)?, input).await.extend()?))
    }
}
