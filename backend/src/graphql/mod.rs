//! The GraphQL schema: one Query / Mutation / Subscription object per
//! domain, merged here; guards, DataLoaders, connections and the helpers
//! resolvers use to reach the request's caller and the application.

pub mod connection;
pub mod guards;
pub mod loaders;

use async_graphql::extensions::Tracing;
use async_graphql::{
    Context, ErrorExtensions, ID, MaybeUndefined, MergedObject, MergedSubscription, Schema, SchemaBuilder,
};

use crate::app::AppCtx;
use crate::auth::Principal;
use crate::error::AppError;

/// Every query field, by domain.
#[derive(MergedObject, Default)]
pub struct Query(
    crate::auth::graphql::AuthQuery,
    crate::customers::graphql::CustomerQuery,
    crate::wallets::graphql::WalletQuery,
    crate::bank::graphql::BankQuery,
    crate::tickets::graphql::TicketQuery,
    crate::orders::graphql::OrderQuery,
    crate::engagement::graphql::EngagementQuery,
    crate::audit::graphql::AuditQuery,
    crate::analytics::graphql::AnalyticsQuery,
    crate::analytics::graphql::RfmQuery,
    crate::analytics::graphql::FraudQuery,
    crate::analytics::graphql::DashboardQuery,
    crate::jobs::graphql::JobQuery,
    crate::campaigns::graphql::CampaignQuery,
    crate::automation::graphql::AutomationQuery,
    crate::imports::graphql::ImportQuery,
    crate::webhooks::graphql::WebhookQuery,
);

/// Every mutation, by domain.
#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::auth::graphql::AuthMutation,
    crate::customers::graphql::CustomerMutation,
    crate::wallets::graphql::WalletMutation,
    crate::bank::graphql::BankMutation,
    crate::tickets::graphql::TicketMutation,
    crate::orders::graphql::OrderMutation,
    crate::engagement::graphql::EngagementMutation,
    crate::analytics::graphql::RfmMutation,
    crate::analytics::graphql::FraudMutation,
    crate::jobs::graphql::JobMutation,
    crate::automation::graphql::AutomationMutation,
    crate::imports::graphql::ImportMutation,
    crate::campaigns::graphql::CampaignMutation,
    crate::webhooks::graphql::WebhookMutation,
);

/// Every subscription, by domain.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    crate::customers::graphql::CustomerSubscription,
    crate::wallets::graphql::WalletSubscription,
    crate::tickets::graphql::TicketSubscription,
    crate::analytics::graphql::AnalyticsSubscription,
    crate::campaigns::graphql::CampaignSubscription,
    crate::imports::graphql::ImportSubscription,
);

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema without data: enough to print the SDL.
pub fn bare_schema() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
}

/// The served schema, with limits from the configuration.
pub fn build_schema(app: AppCtx) -> AppSchema {
    let cfg = app.config.clone();
    bare_schema()
        .limit_depth(cfg.max_query_depth)
        .limit_complexity(cfg.max_query_complexity)
        .limit_recursive_depth(32)
        .extension(Tracing)
        .data(app)
        .finish()
}

/// The SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    bare_schema().finish().sdl()
}

/// How the request authenticated: not at all, or with a valid or an
/// invalid credential (kept to explain the refusal).
#[derive(Debug, Clone)]
pub enum RequestAuth {
    Anonymous,
    Authenticated(Principal),
    Invalid(String),
}

/// The application, from the schema data.
pub fn app<'a>(ctx: &Context<'a>) -> &'a AppCtx {
    ctx.data_unchecked::<AppCtx>()
}

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    match ctx.data_opt::<RequestAuth>() {
        Some(RequestAuth::Authenticated(p)) => Ok(p),
        Some(RequestAuth::Invalid(why)) => Err(AppError::Unauthenticated(why.clone()).extend()),
        _ => Err(AppError::Unauthenticated(
            "authentication required: send Authorization: Bearer <token or API key>".into(),
        )
        .extend()),
    }
}

/// An id argument as a number, or `BAD_USER_INPUT` on `field`.
pub fn parse_id(id: &ID, field: &str) -> async_graphql::Result<i64> {
    id.parse::<i64>().map_err(|_| AppError::bad_input(field, format!("{:?} is not a valid id", id.as_str())).extend())
}

/// An optional id argument as a number, or `BAD_USER_INPUT` on `field`.
pub fn opt_id(id: Option<&ID>, field: &str) -> async_graphql::Result<Option<i64>> {
    id.map(|i| parse_id(i, field)).transpose()
}

/// A patch field: omitted (`None`), `null` (`Some(None)`) or a value.
pub fn maybe<T, U>(v: MaybeUndefined<T>, f: impl FnOnce(T) -> U) -> Option<Option<U>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(x) => Some(Some(f(x))),
    }
}

/// A subscription's stream of `T`: the events `keep` selects that the caller
/// may see, after `after` when given (see [`crate::events::stream`]), each
/// wrapped as the subscription's event type.
pub fn event_stream<T: Send + 'static>(
    ctx: &Context<'_>,
    after: Option<ID>,
    keep: impl Fn(&crate::events::DomainEvent) -> bool + Send + Sync + 'static,
    wrap: fn(crate::events::DomainEvent) -> T,
) -> async_graphql::Result<futures::stream::BoxStream<'static, async_graphql::Result<T>>> {
    use futures::StreamExt;
    let events = crate::events::stream::events(app(ctx), principal(ctx)?, after.map(|a| a.0), keep);
    Ok(events.map(move |r| r.map(wrap).map_err(|e| e.extend())).boxed())
}
