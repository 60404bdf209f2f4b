//! Orders and the product catalog (DESIGN 4.5): what customers bought, the
//! input of RFM, customer types and lifecycle. Orders are placed one by one
//! (`createOrder`), imported in bulk (`importOrders`, idempotent by external
//! id) or from CSV (`crm360 import`), and keep each customer's spend, order
//! count and last order date (see [`service`]).

pub mod graphql;
pub mod model;
pub mod service;

pub use model::{OrderChannel, OrderStatus, ProductKind};
