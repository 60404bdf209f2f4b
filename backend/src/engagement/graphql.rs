//! GraphQL face of engagement: thin resolvers over [`super::service`].

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, ResultExt};
use chrono::{DateTime, NaiveDate, Utc};

use super::model::{InteractionChannel, InteractionDirection, Relationship, family_member, interaction};
use super::service::{self, DateKind, FamilyMemberPatch, NewFamilyMember, NewInteraction, Upcoming};
use crate::auth::Role;
use crate::auth::graphql::User;
use crate::customers::graphql::Customer;
use crate::error::AppError;
use crate::graphql::connection;
use crate::graphql::guards::RoleGuard;
use crate::graphql::loaders::{gql, loaders};
use crate::graphql::{app, maybe, opt_id, parse_id, principal};

/// The customer of `id`, through the request's loader.
async fn customer_of(ctx: &Context<'_>, id: i64) -> async_graphql::Result<Customer> {
    loaders(ctx)
        .customers
        .load_one(id)
        .await
        .map_err(gql)?
        .map(Customer)
        .ok_or_else(|| AppError::NotFound(format!("customer {id}")).extend())
}

/// A contact between staff and a customer: a call, a message, a visit.
pub struct Interaction(pub interaction::Model);

#[Object]
impl Interaction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }
    async fn channel(&self) -> InteractionChannel {
        self.0.channel
    }
    async fn direction(&self) -> InteractionDirection {
        self.0.direction
    }
    /// What came of it, in a few words.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The business-local day to contact the customer again.
    async fn follow_up_date(&self) -> Option<NaiveDate> {
        self.0.follow_up_date
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The member of staff who logged it (none when logged through an API key).
    async fn agent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.agent_id {
            None => Ok(None),
            Some(id) => Ok(loaders(ctx).users.load_one(id).await.map_err(gql)?.map(User)),
        }
    }
}

/// A person in a customer's family.
pub struct FamilyMember(pub family_member::Model);

#[Object]
impl FamilyMember {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn customer_id(&self) -> ID {
        ID(self.0.customer_id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn relationship(&self) -> Relationship {
        self.0.relationship
    }
    async fn birthday(&self) -> Option<NaiveDate> {
        self.0.birthday
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Whose date it is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DatePerson {
    /// The customer's own birthday or anniversary.
    Customer,
    /// The birthday of someone in the customer's family.
    FamilyMember,
}

/// A birthday or anniversary coming up.
pub struct UpcomingDate(pub Upcoming);

#[Object]
impl UpcomingDate {
    async fn kind(&self) -> DateKind {
        self.0.kind
    }
    /// The day it falls on (29 February falls on 28 February in other years).
    async fn date(&self) -> NaiveDate {
        self.0.date
    }
    /// The date of birth, or of the wedding.
    async fn original_date(&self) -> NaiveDate {
        self.0.original
    }
    /// Days from today (business time zone): 0 is today.
    async fn days_away(&self, ctx: &Context<'_>) -> i32 {
        (self.0.date - service::today(app(ctx))).num_days() as i32
    }
    /// The age turned (BIRTHDAY) or the years married (ANNIVERSARY) on `date`.
    async fn years(&self) -> i32 {
        self.0.years()
    }
    async fn person(&self) -> DatePerson {
        if self.0.family_member.is_some() { DatePerson::FamilyMember } else { DatePerson::Customer }
    }
    /// Whose date it is: the family member's name, or the customer's.
    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        match &self.0.family_member {
            Some(m) => Ok(m.name.clone()),
            None => Ok(customer_of(ctx, self.0.customer_id).await?.0.name),
        }
    }
    /// The family member's relationship to the customer.
    async fn relationship(&self) -> Option<Relationship> {
        self.0.family_member.as_ref().map(|m| m.relationship)
    }
    async fn family_member(&self) -> Option<FamilyMember> {
        self.0.family_member.clone().map(FamilyMember)
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Customer> {
        customer_of(ctx, self.0.customer_id).await
    }
}

crate::graphql::connection::connection!(InteractionConnection, InteractionEdge, Interaction);

#[derive(serde::Serialize, serde::Deserialize)]
struct InteractionCursor(DateTime<Utc>, i64);

#[derive(Default)]
pub struct EngagementQuery;

#[Object]
impl EngagementQuery {
    /// Interactions, newest first: one customer's (`customerId`) or those of
    /// every customer the caller may see (an AGENT: their own), of one
    /// `channel` when given.
    #[graphql(
        guard = "RoleGuard::at_least(Role::Viewer)",
        complexity = "connection::complexity(first, child_complexity)"
    )]
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
        channel: Option<InteractionChannel>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<InteractionConnection> {
        let app = app(ctx).clone();
        let actor = principal(ctx)?.clone();
        let first = connection::page_size(first).extend()?;
        let cursor: Option<InteractionCursor> = connection::decode_cursor(after.as_deref()).extend()?;
        let f = service::InteractionFilter { customer_id: opt_id(customer_id.as_ref(), "customerId")?, channel };
        let mut rows = service::list_interactions(&app, &actor, &f, cursor.as_ref().map(|c| (c.0, c.1)), first + 1)
            .await
            .extend()?;
        let more = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let items = rows
            .into_iter()
            .map(|i| (connection::encode_cursor(&InteractionCursor(i.occurred_at, i.id)), Interaction(i)))
            .collect();
        let counter: connection::Counter = Arc::new(move || {
            let (app, actor, f) = (app.clone(), actor.clone(), f.clone());
            Box::pin(async move { service::count_interactions(&app, &actor, &f).await })
        });
        Ok(InteractionConnection::new(items, more, cursor.is_some(), counter))
    }

    /// A customer's family members, oldest entry first.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn family_members(&self, ctx: &Context<'_>, customer_id: ID) -> async_graphql::Result<Vec<FamilyMember>> {
        let id = parse_id(&customer_id, "customerId")?;
        let list = service::family_members(app(ctx), principal(ctx)?, id).await.extend()?;
        Ok(list.into_iter().map(FamilyMember).collect())
    }

    /// Customers' and family members' birthdays and customers' wedding
    /// anniversaries falling in the next `days` days (0 = today, at most
    /// 366) from today in the business time zone, by date; at most `first`
    /// (1 to 500). An AGENT sees their own customers'.
    #[graphql(guard = "RoleGuard::at_least(Role::Viewer)")]
    async fn upcoming_dates(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 7)] days: i32,
        #[graphql(default = 100)] first: i32,
    ) -> async_graphql::Result<Vec<UpcomingDate>> {
        if !(1..=500).contains(&first) {
            return Err(AppError::bad_input("first", "first must be between 1 and 500").extend());
        }
        let list = service::upcoming_dates(app(ctx), principal(ctx)?, days, first as u64).await.extend()?;
        Ok(list.into_iter().map(UpcomingDate).collect())
    }
}

/// An interaction to log.
#[derive(InputObject)]
pub struct LogInteractionInput {
    pub customer_id: ID,
    pub channel: InteractionChannel,
    pub direction: InteractionDirection,
    /// 1 to 200 characters (`reached`, `no answer`, `asked for a quote`).
    pub outcome: String,
    /// Up to 2,000 characters.
    pub notes: Option<String>,
    /// Today or later (business time zone).
    pub follow_up_date: Option<NaiveDate>,
    /// Defaults to now; never in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A family member to add.
#[derive(InputObject)]
pub struct AddFamilyMemberInput {
    pub customer_id: ID,
    /// 1 to 200 characters.
    pub name: String,
    pub relationship: Relationship,
    /// Between 1900 and today.
    pub birthday: Option<NaiveDate>,
}

/// A change to a family member: omitted fields stay, `birthday: null`
/// clears the birthday.
#[derive(InputObject)]
pub struct UpdateFamilyMemberInput {
    pub name: Option<String>,
    pub relationship: Option<Relationship>,
    pub birthday: MaybeUndefined<NaiveDate>,
}

#[derive(Default)]
pub struct EngagementMutation;

#[Object]
impl EngagementMutation {
    /// Logs a call, message or visit with a customer (AGENT for their own
    /// customers, MANAGER for anyone), with a timeline entry.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn log_interaction(
        &self,
        ctx: &Context<'_>,
        input: LogInteractionInput,
    ) -> async_graphql::Result<Interaction> {
        let new = NewInteraction {
            customer_id: parse_id(&input.customer_id, "input.customerId")?,
            channel: input.channel,
            direction: input.direction,
            outcome: input.outcome,
            notes: input.notes,
            follow_up_date: input.follow_up_date,
            occurred_at: input.occurred_at,
        };
        Ok(Interaction(service::log_interaction(app(ctx), principal(ctx)?, new).await.extend()?))
    }

    /// Adds a family member to a customer.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn add_family_member(
        &self,
        ctx: &Context<'_>,
        input: AddFamilyMemberInput,
    ) -> async_graphql::Result<FamilyMember> {
        let new = NewFamilyMember {
            customer_id: parse_id(&input.customer_id, "input.customerId")?,
            name: input.name,
            relationship: input.relationship,
            birthday: input.birthday,
        };
        Ok(FamilyMember(service::add_family_member(app(ctx), principal(ctx)?, new).await.extend()?))
    }

    /// Changes a family member.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn update_family_member(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateFamilyMemberInput,
    ) -> async_graphql::Result<FamilyMember> {
        let id = parse_id(&id, "id")?;
        let patch = FamilyMemberPatch {
            name: input.name,
            relationship: input.relationship,
            birthday: maybe(input.birthday, |b| b),
        };
        Ok(FamilyMember(service::update_family_member(app(ctx), principal(ctx)?, id, patch).await.extend()?))
    }

    /// Removes a family member; returns it as it was.
    #[graphql(guard = "RoleGuard::at_least(Role::Agent)")]
    async fn remove_family_member(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<FamilyMember> {
        let id = parse_id(&id, "id")?;
        Ok(FamilyMember(service::remove_family_member(app(ctx), principal(ctx)?, id).await.extend()?))
    }
}
