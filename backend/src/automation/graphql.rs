//! GraphQL face of CRM automation: call tasks, agent performance and
//! product recommendations; thin resolvers over [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::model::{CallKind, CallOutcome, CallPriority, CallStatus, call_task, rule};
use super::service::{self, Recommendation, RuleInput, TaskQuery, TaskUpdate};
use crate::auth::Role;
use crate::auth::graphql::User;
use crate::customers::graphql::Customer;
use crate::customers::model::CustomerType;
use crate::error::AppError;
use crate::graphql::connection;
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, opt_id, parse_id, principal};
use crate::money::Money;

/// A call an agent is to make on a business day.
pub struct CallTask(pub call_task::Model);

#[Object]
impl CallTask {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The business-local day the call is for.
    async fn due_date(&self) -> NaiveDate {
        self.0.due_date
    }
    async fn kind(&self) -> CallKind {
        self.0.kind
    }
    async fn priority(&self) -> CallPriority {
        self.0.priority
    }
    async fn status(&self) -> CallStatus {
        self.0.status
    }
    /// What came of the call, once COMPLETED.
    async fn outcome(&self) -> Option<CallOutcome> {
        self.0.outcome
    }
    /// The agent's notes; for a SKIPPED task, why.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// When it was completed or skipped.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
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
    /// The agent who is to call (none when no agent existed).
    async fn agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.agent_id else { return Ok(None) };
        Ok(loaders(ctx).users.load_one(id).await.map_err(gql)?.map(User))
    }
    /// The products to offer this customer, best first (by the customer's
    /// type; batched over the page).
    async fn recommendations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductRecommendation>> {
        let l = loaders(ctx);
        let Some(c) = l.customers.load_one(self.0.customer_id).await.map_err(gql)? else { return Ok(Vec::new()) };
        let list = l.recommendations.load_one(c.customer_type).await.map_err(gql)?.unwrap_or_default();
        Ok(list.into_iter().map(ProductRecommendation).collect())
    }
}

crate::graphql::connection::connection!(CallTaskConnection, CallTaskEdge, CallTask);

/// A product offered to a customer by a recommendation rule.
pub struct ProductRecommendation(pub Recommendation);

#[Object]
impl ProductRecommendation {
    /// The rule that offers it.
    async fn rule_id(&self) -> ID {
        ID(self.0.rule.id.to_string())
    }
    async fn category(&self) -> &str {
        &self.0.rule.category
    }
    async fn product_sku(&self) -> &str {
        &self.0.product.sku
    }
    async fn product_name(&self) -> &str {
        &self.0.product.name
    }
    /// The catalog price.
    async fn price(&self) -> Money {
        Money(self.0.product.price)
    }
    async fn discount_percent(&self) -> i32 {
        self.0.rule.discount_percent
    }
    /// The price after the discount, rounded down to a minor unit.
    async fn discounted_price(&self) -> Money {
        Money(self.0.discounted_price())
    }
}

/// A rule offering a product, with a discount, to customers of a type.
pub struct RecommendationRule(pub rule::Model);

#[Object]
impl RecommendationRule {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// None: customers of any type.
    async fn customer_type(&self) -> Option<CustomerType> {
        self.0.customer_type
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn product_sku(&self) -> &str {
        &self.0.product_sku
    }
    /// 0 to 100.
    async fn discount_percent(&self) -> i32 {
        self.0.discount_percent
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Higher first.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One agent's calls over a range of days.
#[derive(SimpleObject)]
pub struct AgentCallPerformance {
    pub agent_id: ID,
    pub name: String,
    /// Tasks due in the range.
    pub tasks: i64,
    pub completed: i64,
    /// Completed as REACHED or PURCHASED.
    pub successful: i64,
    pub skipped: i64,
    /// Completed / tasks, whole percent rounded down.
    pub completion_rate: i32,
    /// Successful / completed, whole percent rounded down.
    pub success_rate: i32,
}

impl From<service::AgentPerformance> for AgentCallPerformance {
    fn from(p: service::AgentPerformance) -> Self {
        Self {
            agent_id: ID(p.agent_id.to_string()),
            name: p.name,
            tasks: p.tasks,
            completed: p.completed,
            successful: p.successful,
            skipped: p.skipped,
            completion_rate: p.completion_rate,
            success_rate: p.success_rate,
        }
    }
}

/// What `generateCallTasks` created.
#[derive(SimpleObject)]
pub struct CallTaskGeneration {
    pub date: NaiveDate,
    pub welcome: i64,
    pub follow_up: i64,
    pub at_risk: i64,
    pub birthday: i64,
    pub total: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PositionCursor(u64);

#[derive(Default)]
pub struct AutomationQuery;

#[Object]
impl AutomationQuery {
    /// Call tasks of a day (default today), HOT first, then WARM, COLD;
    /// within a priority by kind (WELCOME, FOLLOW_UP, AT_RISK, BIRTHDAY),
    /// then customer name. By default the caller's own; a MANAGER or ADMIN
    /// may name an `agentId` or ask for `allAgents`; an AGENT sees only
    /// their own (`allAgents` defaults to false).
    #[graphql(
        guard = "RoleGuard::at_least(Role::Agent)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    #[expect(clippy::too_many_arguments, reason = "one argument per filter of the GraphQL field")]
    async fn call_tasks(
        &self,
        ctx: &Context<'_>,
        agent_id: Option<ID>,
        all_agents: Option<bool>,
        date: Option<NaiveDate>,
        status: Option<CallStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CallTaskConnection> {
        let app = app(ctx).clone();
        let agent = opt_id(agent_id.as_ref(), "agentId")?;
        let assignee = service::assignee_for(principal(ctx)?, agent, all_agents.unwrap_or(false)).extend()?;
        let first = connection::page_size(first).extend()?;
        let cursor: Option<PositionCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let offset = cursor.as_ref().map_or(0, |c| c.0 + 1);
        let q = TaskQuery { assignee, date: date.unwrap_or_else(|| service::today(&app)), status };
        let mut rows = service::list(&app, &q, offset, first + 1).await.extend()?;
        let more = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let items = rows
            .into_iter()
            .enumerate()
            .map(|(i, t)| (connection::encode_cursor(&PositionCursor(offset + i as u64)), CallTask(t)))
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let app = app.clone();
            Box::pin(async move { service::count(&app, &q).await })
        });
        Ok(CallTaskConnection::new(items, more, offset > 0, counter))
    }

    /// Per agent, the call tasks due from `from` to `to` (business days,
    /// both included, at most 366): completed, successful, skipped and the
    /// rates (MANAGER).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn agent_performance(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<Vec<AgentCallPerformance>> {
        let rows = service::agent_performance(app(ctx).db.conn(), from, to).await.extend()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The product recommendation rules, highest priority first.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn recommendation_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] active_only: bool,
    ) -> async_graphql::Result<Vec<RecommendationRule>> {
        Ok(service::rules(app(ctx), active_only).await.extend()?.into_iter().map(RecommendationRule).collect())
    }

    /// The products to offer a customer, best first: the active rules of
    /// the customer's type and of any type.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        customer_id: ID,
    ) -> async_graphql::Result<Vec<ProductRecommendation>> {
        let id = parse_id(&customer_id, "customerId")?;
        let list = service::recommendations(app(ctx), principal(ctx)?, id).await.extend()?;
        Ok(list.into_iter().map(ProductRecommendation).collect())
    }
}

/// A recommendation rule to create (without `id`) or replace.
#[derive(InputObject)]
pub struct RecommendationRuleInput {
    pub id: Option<ID>,
    /// None: customers of any type.
    pub customer_type: Option<CustomerType>,
    pub category: String,
    /// A product of the catalog.
    pub product_sku: String,
    /// 0 to 100.
    #[graphql(default)]
    pub discount_percent: i32,
    #[graphql(default = true)]
    pub active: bool,
    /// 0 to 1000, higher first.
    #[graphql(default)]
    pub priority: i32,
}

#[derive(Default)]
pub struct AutomationMutation;

#[Object]
impl AutomationMutation {
    /// Generates the call tasks of `date` (today by default, or tomorrow)
    /// now, as the 6 AM job does; tasks that exist are left alone (MANAGER).
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn generate_call_tasks(
        &self,
        ctx: &Context<'_>,
        date: Option<NaiveDate>,
    ) -> async_graphql::Result<CallTaskGeneration> {
        let app = app(ctx);
        let date = date.unwrap_or_else(|| service::today(app));
        let g = service::generate(app, principal(ctx)?, date).await.extend()?;
        Ok(CallTaskGeneration {
            date,
            welcome: g.welcome as i64,
            follow_up: g.follow_up as i64,
            at_risk: g.at_risk as i64,
            birthday: g.birthday as i64,
            total: g.total() as i64,
        })
    }

    /// Completes a PENDING task with an `outcome`, or skips it with the
    /// reason in `notes` (AGENT: their own tasks only). Written to the
    /// customer's timeline.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn update_call_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: CallStatus,
        outcome: Option<CallOutcome>,
        notes: Option<String>,
    ) -> async_graphql::Result<CallTask> {
        let id = parse_id(&id, "id")?;
        let upd = TaskUpdate { status, outcome, notes };
        Ok(CallTask(service::update(app(ctx), principal(ctx)?, id, upd).await.extend()?))
    }

    /// Creates a recommendation rule, or replaces the one with `id`
    /// (MANAGER). The SKU must be in the catalog.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn save_recommendation_rule(
        &self,
        ctx: &Context<'_>,
        input: RecommendationRuleInput,
    ) -> async_graphql::Result<RecommendationRule> {
        let input = RuleInput {
            id: opt_id(input.id.as_ref(), "input.id")?,
            customer_type: input.customer_type,
            category: input.category,
            product_sku: input.product_sku,
            discount_percent: input.discount_percent,
            active: input.active,
            priority: input.priority,
        };
        Ok(RecommendationRule(service::save_rule(app(ctx), principal(ctx)?, input).await.extend()?))
    }

    /// Deletes a recommendation rule (MANAGER); returns its id.
    #[graphql(guard = "RoleGuard::at_least(Role::Manager)")]
    async fn delete_recommendation_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let id = parse_id(&id, "id")?;
        let gone = service::delete_rule(app(ctx), principal(ctx)?, id).await.extend()?;
        Ok(ID(gone.id.to_string()))
    }
}
