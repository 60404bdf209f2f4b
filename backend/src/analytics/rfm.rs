//! RFM and the customer fields derived from orders (DESIGN 4.8).
//!
//! Every rule is written once, as data: the thresholds (a config row that
//! an ADMIN edits), and the tables [`TIERS`], [`SEGMENTS`], [`TYPES`],
//! [`LIFECYCLE`], [`TEMPERATURE`] and [`DROP_OFF`]. The same tables give
//! the Rust evaluation of one customer ([`Facts::derive`], used to explain
//! a customer) and the SQL `CASE` expressions of the set-based
//! recalculation ([`recalculate`]), so the two cannot disagree; a test
//! checks that they do not.
//!
//! Days since the last order are whole days (`floor`): an order 7 days and
//! 23 hours ago is 7 days ago. Only orders that count (not cancelled, not
//! returned) are used. Customers without such an order have no scores.
//! A BLACKLIST tier is never changed by RFM.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::Principal;
use crate::customers::model::{CustomerTier, CustomerType, LifecycleStage, Temperature, customer};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::orders::OrderStatus;
use crate::orders::model::order;

/// Orders counted for the frequency score: those of the last this many days.
pub const FREQUENCY_WINDOW_DAYS: i64 = 90;

/// The RFM thresholds, for scores 5, 4, 3 and 2 (anything else scores 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Most days since the last order: `[7, 14, 30, 60]` means 0–7 days
    /// → 5, 8–14 → 4, 15–30 → 3, 31–60 → 2, more → 1.
    pub recency_days: [i64; 4],
    /// Fewest orders in the last 90 days: `[11, 6, 3, 2]` means more than
    /// 10 → 5, 6–10 → 4, 3–5 → 3, 2 → 2, fewer → 1.
    pub frequency_min: [i64; 4],
    /// Least total spend, minor units: `[10_000_001, 5_000_000, 2_000_000,
    /// 500_000]` means over 10M → 5, 5–10M → 4, 2–5M → 3, 500K–2M → 2,
    /// less → 1.
    pub monetary_min: [i64; 4],
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            recency_days: [7, 14, 30, 60],
            frequency_min: [11, 6, 3, 2],
            monetary_min: [10_000_001, 5_000_000, 2_000_000, 500_000],
        }
    }
}

impl Thresholds {
    /// Refuses thresholds out of order or that leave a score unreachable.
    pub fn validate(&self) -> AppResult<()> {
        let r = &self.recency_days;
        if r[0] < 0 || r.windows(2).any(|w| w[0] >= w[1]) {
            return Err(AppError::bad_input(
                "input.recencyDays",
                "four day counts, increasing, from 0: [7, 14, 30, 60] scores 0–7 days 5, …, over 60 days 1",
            ));
        }
        let f = &self.frequency_min;
        if f[3] < 1 || f.windows(2).any(|w| w[0] <= w[1]) {
            return Err(AppError::bad_input(
                "input.frequencyMin",
                "four order counts, decreasing, the last at least 1: [11, 6, 3, 2]",
            ));
        }
        let m = &self.monetary_min;
        if m[3] < 1 || m.windows(2).any(|w| w[0] <= w[1]) {
            return Err(AppError::bad_input(
                "input.monetaryMin",
                "four amounts, decreasing, the last above 0: [10000001, 5000000, 2000000, 500000]",
            ));
        }
        Ok(())
    }

    pub fn recency(&self, days: i64) -> i32 {
        score(self.recency_days.iter().position(|b| days <= *b))
    }
    pub fn frequency(&self, orders: i64) -> i32 {
        score(self.frequency_min.iter().position(|b| orders >= *b))
    }
    pub fn monetary(&self, spent: i64) -> i32 {
        score(self.monetary_min.iter().position(|b| spent >= *b))
    }
}

fn score(position: Option<usize>) -> i32 {
    position.map_or(1, |i| 5 - i as i32)
}

/// A named RFM segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Segment {
    Champions,
    Loyal,
    CantLoseThem,
    AtRisk,
    PotentialLoyalist,
    New,
    Promising,
    NeedAttention,
    AboutToSleep,
    Hibernating,
    Lost,
}

impl Segment {
    /// As stored (`CANT_LOSE_THEM`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Champions => "CHAMPIONS",
            Self::Loyal => "LOYAL",
            Self::CantLoseThem => "CANT_LOSE_THEM",
            Self::AtRisk => "AT_RISK",
            Self::PotentialLoyalist => "POTENTIAL_LOYALIST",
            Self::New => "NEW",
            Self::Promising => "PROMISING",
            Self::NeedAttention => "NEED_ATTENTION",
            Self::AboutToSleep => "ABOUT_TO_SLEEP",
            Self::Hibernating => "HIBERNATING",
            Self::Lost => "LOST",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        SEGMENTS.iter().map(|r| r.segment).find(|seg| seg.as_str() == s)
    }

    /// What to do with a customer of this segment.
    pub fn recommendation(self) -> &'static str {
        match self {
            Self::Champions => "Reward them: early access, loyalty gifts; ask for reviews and referrals.",
            Self::Loyal => "Upsell higher-value products and invite them to the loyalty programme.",
            Self::CantLoseThem => "Big spenders gone quiet: call them personally with a strong offer now.",
            Self::AtRisk => "Send a personal win-back message with a discount before they leave.",
            Self::PotentialLoyalist => "Offer a membership or a bundle to make buying here a habit.",
            Self::New => "Welcome them: onboarding message and a small offer on the next order.",
            Self::Promising => "Build the relationship: recommendations based on their first order.",
            Self::NeedAttention => "Reactivate with a limited-time offer based on past purchases.",
            Self::AboutToSleep => "Remind them with popular products and a modest discount.",
            Self::Hibernating => "Include them in seasonal campaigns; keep costs low.",
            Self::Lost => "Try one last win-back campaign, then stop spending on them.",
        }
    }
}

/// A segment and the score ranges (inclusive) that put a customer in it;
/// the first matching row wins.
pub struct SegmentRule {
    pub segment: Segment,
    pub r: (i32, i32),
    pub f: (i32, i32),
    pub m: (i32, i32),
}

const fn seg(segment: Segment, r: (i32, i32), f: (i32, i32), m: (i32, i32)) -> SegmentRule {
    SegmentRule { segment, r, f, m }
}

/// Segments from R, F and M, first match wins; every combination has one.
pub const SEGMENTS: [SegmentRule; 11] = [
    seg(Segment::Champions, (4, 5), (4, 5), (4, 5)),
    seg(Segment::Loyal, (3, 5), (4, 5), (1, 5)),
    seg(Segment::CantLoseThem, (1, 1), (4, 5), (4, 5)),
    seg(Segment::AtRisk, (1, 2), (3, 5), (1, 5)),
    seg(Segment::PotentialLoyalist, (4, 5), (2, 3), (1, 5)),
    seg(Segment::New, (5, 5), (1, 1), (1, 5)),
    seg(Segment::Promising, (4, 4), (1, 1), (1, 5)),
    seg(Segment::NeedAttention, (3, 3), (2, 3), (1, 5)),
    seg(Segment::AboutToSleep, (3, 3), (1, 1), (1, 5)),
    seg(Segment::Hibernating, (2, 2), (1, 2), (1, 5)),
    seg(Segment::Lost, (1, 1), (1, 2), (1, 5)),
];

/// How serious a customer's absence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum DropOffRisk {
    Low,
    Medium,
    High,
    Critical,
}

impl DropOffRisk {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High, Self::Critical].into_iter().find(|r| r.as_str() == s)
    }
}

/// A condition on a customer with orders.
#[derive(Debug, Clone, Copy)]
pub enum If {
    /// At most this many whole days since the last order.
    DaysAtMost(i64),
    /// At least this many whole days since the last order.
    DaysAtLeast(i64),
    /// At least this many orders (that count, ever).
    OrdersAtLeast(i32),
    /// Exactly this many orders.
    Orders(i32),
    /// A monetary score of at least this.
    MAtLeast(i32),
    /// R + F + M at least this (an average of 4.5 is a sum of 13.5, so 14).
    SumAtLeast(i32),
    Always,
}

/// Tier from the RFM average: PLATINUM ≥ 4.5, GOLD ≥ 3.5, SILVER ≥ 2.5.
pub const TIERS: [(If, CustomerTier); 4] = [
    (If::SumAtLeast(14), CustomerTier::Platinum),
    (If::SumAtLeast(11), CustomerTier::Gold),
    (If::SumAtLeast(8), CustomerTier::Silver),
    (If::Always, CustomerTier::New),
];
/// Inactive after 90 days without an order; VIP with 6+ orders or the top
/// monetary score; repeat with 2–5; new with 1.
pub const TYPES: [(If, CustomerType); 5] = [
    (If::DaysAtLeast(90), CustomerType::Inactive),
    (If::OrdersAtLeast(6), CustomerType::Vip),
    (If::MAtLeast(5), CustomerType::Vip),
    (If::OrdersAtLeast(2), CustomerType::Repeat),
    (If::Always, CustomerType::New),
];
/// Churned after more than 90 days, at risk from 60, new after a first
/// order, otherwise active (prospect: no order at all).
pub const LIFECYCLE: [(If, LifecycleStage); 4] = [
    (If::DaysAtLeast(91), LifecycleStage::Churned),
    (If::DaysAtLeast(60), LifecycleStage::AtRisk),
    (If::Orders(1), LifecycleStage::New),
    (If::Always, LifecycleStage::Active),
];
/// Hot with an order in the last 7 days, warm within 30, else cold.
pub const TEMPERATURE: [(If, Temperature); 3] =
    [(If::DaysAtMost(7), Temperature::Hot), (If::DaysAtMost(30), Temperature::Warm), (If::Always, Temperature::Cold)];
/// Critical after more than 120 days, high from 90, medium from 60, low
/// from 30; none before.
pub const DROP_OFF: [(If, Option<DropOffRisk>); 5] = [
    (If::DaysAtLeast(121), Some(DropOffRisk::Critical)),
    (If::DaysAtLeast(90), Some(DropOffRisk::High)),
    (If::DaysAtLeast(60), Some(DropOffRisk::Medium)),
    (If::DaysAtLeast(30), Some(DropOffRisk::Low)),
    (If::Always, None),
];

/// What the rules look at, for one customer with orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub days: i64,
    pub orders: i32,
    pub orders_in_window: i64,
    pub spent: i64,
}

/// Everything derived for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub r: i32,
    pub f: i32,
    pub m: i32,
    pub segment: Segment,
    pub tier: CustomerTier,
    pub customer_type: CustomerType,
    pub lifecycle: LifecycleStage,
    pub temperature: Temperature,
    pub drop_off: Option<DropOffRisk>,
}

impl If {
    fn holds(self, facts: &Facts, rfm: (i32, i32, i32)) -> bool {
        match self {
            If::DaysAtMost(k) => facts.days <= k,
            If::DaysAtLeast(k) => facts.days >= k,
            If::OrdersAtLeast(n) => facts.orders >= n,
            If::Orders(n) => facts.orders == n,
            If::MAtLeast(m) => rfm.2 >= m,
            If::SumAtLeast(s) => rfm.0 + rfm.1 + rfm.2 >= s,
            If::Always => true,
        }
    }

    /// The same condition in SQL over the `customers` row, after its
    /// scores were written.
    fn sql(self, now: DateTime<Utc>) -> SimpleExpr {
        use customer::Column as C;
        match self {
            If::DaysAtMost(k) => C::LastOrderAt.gt(now - Duration::days(k + 1)),
            If::DaysAtLeast(k) => C::LastOrderAt.lte(now - Duration::days(k)),
            If::OrdersAtLeast(n) => C::OrderCount.gte(n),
            If::Orders(n) => C::OrderCount.eq(n),
            If::MAtLeast(m) => C::RfmM.gte(m),
            If::SumAtLeast(s) => Expr::col(C::RfmR).add(Expr::col(C::RfmF)).add(Expr::col(C::RfmM)).gte(s),
            If::Always => Expr::val(1).eq(1),
        }
    }
}

fn first<T: Copy>(rules: &[(If, T)], facts: &Facts, rfm: (i32, i32, i32)) -> T {
    rules.iter().find(|(c, _)| c.holds(facts, rfm)).map(|(_, v)| *v).expect("every rule table ends with Always")
}

/// The first segment whose ranges hold these scores.
pub fn segment_of(r: i32, f: i32, m: i32) -> Segment {
    let within = |v: i32, (lo, hi): (i32, i32)| (lo..=hi).contains(&v);
    SEGMENTS
        .iter()
        .find(|s| within(r, s.r) && within(f, s.f) && within(m, s.m))
        .map_or(Segment::NeedAttention, |s| s.segment)
}

impl Facts {
    /// The scores and fields for these facts.
    pub fn derive(&self, t: &Thresholds) -> Derived {
        let (r, f, m) = (t.recency(self.days), t.frequency(self.orders_in_window), t.monetary(self.spent));
        let rfm = (r, f, m);
        Derived {
            r,
            f,
            m,
            segment: segment_of(r, f, m),
            tier: first(&TIERS, self, rfm),
            customer_type: first(&TYPES, self, rfm),
            lifecycle: first(&LIFECYCLE, self, rfm),
            temperature: first(&TEMPERATURE, self, rfm),
            drop_off: first(&DROP_OFF, self, rfm),
        }
    }
}

// ---------------------------------------------------------------- config

pub mod config_row {
    //! The RFM thresholds row (id 1).
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rfm_config")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub recency: Json,
        pub frequency: Json,
        pub monetary: Json,
        pub updated_by: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The thresholds in force (the defaults until an ADMIN changes them).
pub async fn thresholds<C: ConnectionTrait>(db: &C) -> AppResult<Thresholds> {
    let Some(row) = config_row::Entity::find_by_id(1).one(db).await? else { return Ok(Thresholds::default()) };
    let parse = |v: serde_json::Value| serde_json::from_value(v).map_err(|e| AppError::Internal(e.into()));
    Ok(Thresholds {
        recency_days: parse(row.recency)?,
        frequency_min: parse(row.frequency)?,
        monetary_min: parse(row.monetary)?,
    })
}

/// Replaces the thresholds (ADMIN; audited). Customers keep their scores
/// until the next recalculation.
pub async fn update_thresholds(ctx: &AppCtx, actor: &Principal, new: Thresholds) -> AppResult<Thresholds> {
    new.validate()?;
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let before = thresholds(tx.db()).await?;
    let row = config_row::ActiveModel {
        id: Set(1),
        recency: Set(json!(new.recency_days)),
        frequency: Set(json!(new.frequency_min)),
        monetary: Set(json!(new.monetary_min)),
        updated_by: Set(actor.actor()),
        updated_at: Set(now),
    };
    config_row::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(config_row::Column::Id)
                .update_columns([
                    config_row::Column::Recency,
                    config_row::Column::Frequency,
                    config_row::Column::Monetary,
                    config_row::Column::UpdatedBy,
                    config_row::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(tx.db())
        .await?;
    let change =
        Change::on("rfm.config", "rfm_config", 1).before(audit::snapshot(&before)?).after(audit::snapshot(&new)?);
    audit::record(&tx, actor, now, change).await?;
    tx.commit().await?;
    Ok(new)
}

// ---------------------------------------------------------------- recalculation

/// What a recalculation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recalculated {
    /// Customers with orders, scored.
    pub scored: u64,
    /// Customers whose tier changed.
    pub tier_changes: u64,
}

fn case<T: Copy>(rules: &[(If, T)], now: DateTime<Utc>, value: impl Fn(T) -> SimpleExpr) -> SimpleExpr {
    let mut case = CaseStatement::new();
    for (cond, v) in rules {
        case = case.case(cond.sql(now), value(*v));
    }
    SimpleExpr::Case(Box::new(case))
}

fn segment_case() -> SimpleExpr {
    use customer::Column as C;
    let mut case = CaseStatement::new();
    for s in &SEGMENTS {
        let cond = Condition::all()
            .add(C::RfmR.between(s.r.0, s.r.1))
            .add(C::RfmF.between(s.f.0, s.f.1))
            .add(C::RfmM.between(s.m.0, s.m.1));
        case = case.case(cond, Expr::val(s.segment.as_str()));
    }
    SimpleExpr::Case(Box::new(case.finally(Expr::val(Segment::NeedAttention.as_str()))))
}

fn score_case(column: SimpleExpr, bounds: &[i64; 4], at_most: bool) -> SimpleExpr {
    let mut case = CaseStatement::new();
    for (i, b) in bounds.iter().enumerate() {
        let cond = if at_most { column.clone().lte(*b) } else { column.clone().gte(*b) };
        case = case.case(cond, Expr::val(5 - i as i32));
    }
    SimpleExpr::Case(Box::new(case.finally(Expr::val(1))))
}

#[derive(FromQueryResult)]
struct TierChange {
    id: i64,
    tier: CustomerTier,
    assigned_agent_id: Option<i64>,
    new_tier: String,
}

/// Recomputes the scores and derived fields of every customer (or of
/// `only`) in set-based SQL inside `tx`; tier changes are written to the
/// timeline and published as `customer.tier_changed`.
pub async fn recalculate_in(
    ctx: &AppCtx,
    tx: &mut Tx,
    actor: &Principal,
    only: Option<i64>,
) -> AppResult<Recalculated> {
    use customer::Column as C;
    let t = thresholds(tx.db()).await?;
    let now = ctx.now();
    let scope = |c: Condition| match only {
        Some(id) => c.add(C::Id.eq(id)),
        None => c,
    };
    let scored = scope(Condition::all().add(C::OrderCount.gt(0)).add(C::LastOrderAt.is_not_null()));

    // 1. Orders in the window, into `rfm_f` for a moment.
    let window = Query::select()
        .expr(Expr::col((order::Entity, order::Column::Id)).count())
        .from(order::Entity)
        .and_where(Expr::col((order::Entity, order::Column::CustomerId)).equals((customer::Entity, C::Id)))
        .and_where(Expr::col((order::Entity, order::Column::Status)).is_in(OrderStatus::COUNTED.map(|s| s.to_value())))
        .and_where(Expr::col((order::Entity, order::Column::OrderedAt)).gt(now - Duration::days(FREQUENCY_WINDOW_DAYS)))
        .to_owned();
    let res = customer::Entity::update_many()
        .col_expr(C::RfmF, SimpleExpr::SubQuery(None, Box::new(window.into_sub_query_statement())))
        .filter(scored.clone())
        .exec(tx.db())
        .await?;
    // 2. The three scores (SET reads the row as it was: `rfm_f` is the count).
    let mut r_case = CaseStatement::new();
    for (i, d) in t.recency_days.iter().enumerate() {
        r_case = r_case.case(C::LastOrderAt.gt(now - Duration::days(d + 1)), Expr::val(5 - i as i32));
    }
    customer::Entity::update_many()
        .col_expr(C::RfmR, SimpleExpr::Case(Box::new(r_case.finally(Expr::val(1)))))
        .col_expr(C::RfmF, score_case(Expr::col(C::RfmF), &t.frequency_min, false))
        .col_expr(C::RfmM, score_case(Expr::col(C::TotalSpent), &t.monetary_min, false))
        .col_expr(C::RfmUpdatedAt, Expr::value(now))
        .filter(scored.clone())
        .exec(tx.db())
        .await?;
    // 3. Tier changes, for the timeline and the events.
    let tier_case = case(&TIERS, now, |v| Expr::val(v.to_value()));
    let changes: Vec<TierChange> = customer::Entity::find()
        .select_only()
        .column(C::Id)
        .column(C::Tier)
        .column(C::AssignedAgentId)
        .column_as(tier_case.clone(), "new_tier")
        .filter(scored.clone())
        .filter(C::Tier.ne(CustomerTier::Blacklist))
        .filter(Expr::expr(tier_case.clone()).ne(Expr::col(C::Tier)))
        .into_model::<TierChange>()
        .all(tx.db())
        .await?;
    // 4. Every derived field.
    let keep_blacklist = SimpleExpr::Case(Box::new(
        CaseStatement::new().case(C::Tier.eq(CustomerTier::Blacklist), Expr::col(C::Tier)).finally(tier_case),
    ));
    customer::Entity::update_many()
        .col_expr(C::Tier, keep_blacklist)
        .col_expr(C::RfmSegment, segment_case())
        .col_expr(C::CustomerType, case(&TYPES, now, |v| Expr::val(v.to_value())))
        .col_expr(C::LifecycleStage, case(&LIFECYCLE, now, |v| Expr::val(v.to_value())))
        .col_expr(C::Temperature, case(&TEMPERATURE, now, |v| Expr::val(v.to_value())))
        .col_expr(C::DropOffRisk, case(&DROP_OFF, now, |v| Expr::val(v.map(|r| r.as_str().to_owned()))))
        .filter(scored)
        .exec(tx.db())
        .await?;
    // Customers whose orders were all cancelled or returned: no scores.
    customer::Entity::update_many()
        .col_expr(C::RfmR, Expr::value(Option::<i32>::None))
        .col_expr(C::RfmF, Expr::value(Option::<i32>::None))
        .col_expr(C::RfmM, Expr::value(Option::<i32>::None))
        .col_expr(C::RfmSegment, Expr::value(Option::<String>::None))
        .col_expr(C::DropOffRisk, Expr::value(Option::<String>::None))
        .col_expr(C::CustomerType, Expr::val(CustomerType::New.to_value()))
        .col_expr(C::LifecycleStage, Expr::val(LifecycleStage::Prospect.to_value()))
        .col_expr(C::Temperature, Expr::val(Temperature::Cold.to_value()))
        .filter(scope(Condition::all().add(C::OrderCount.eq(0)).add(C::RfmR.is_not_null())))
        .exec(tx.db())
        .await?;

    let mut timeline = Vec::with_capacity(changes.len());
    for c in &changes {
        let data = json!({ "from": c.tier.to_value(), "to": c.new_tier });
        let summary = format!("Tier {} → {} (RFM)", c.tier.to_value(), c.new_tier);
        let mut ev = DomainEvent::new("customer.tier_changed", "customer", c.id, &actor.actor(), now);
        ev.customer_id = Some(c.id);
        ev.assigned_agent_id = c.assigned_agent_id;
        ev.data = data.clone();
        tx.publish(ev);
        timeline.push((c.id, summary, data));
    }
    crate::activities::service::record_many(tx.db(), "customer.tier_changed", timeline, actor, now).await?;
    Ok(Recalculated { scored: res.rows_affected, tier_changes: changes.len() as u64 })
}

/// [`recalculate_in`] in its own transaction, audited when it covers
/// everyone (the nightly job and `recalculateRfm`).
pub async fn recalculate(ctx: &AppCtx, actor: &Principal) -> AppResult<Recalculated> {
    let mut tx = ctx.begin().await?;
    let done = recalculate_in(ctx, &mut tx, actor, None).await?;
    let after = json!({ "scored": done.scored, "tierChanges": done.tier_changes });
    audit::record(&tx, actor, ctx.now(), Change::on("rfm.recalculate", "rfm_config", 1).after(after)).await?;
    tx.commit().await?;
    Ok(done)
}

/// One customer's RFM, explained.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub facts: Option<Facts>,
    pub derived: Option<Derived>,
    pub thresholds: Thresholds,
}

/// Computes one customer's RFM from their orders now (without writing).
pub async fn analyze(ctx: &AppCtx, actor: &Principal, customer_id: i64) -> AppResult<Analysis> {
    let c = crate::customers::service::get(ctx, actor, customer_id).await?;
    let t = thresholds(ctx.db.conn()).await?;
    let Some(last) = c.last_order_at.filter(|_| c.order_count > 0) else {
        return Ok(Analysis { facts: None, derived: None, thresholds: t });
    };
    let now = ctx.now();
    let in_window = order::Entity::find()
        .filter(order::Column::CustomerId.eq(customer_id))
        .filter(order::Column::Status.is_in(OrderStatus::COUNTED))
        .filter(order::Column::OrderedAt.gt(now - Duration::days(FREQUENCY_WINDOW_DAYS)))
        .count(ctx.db.conn())
        .await? as i64;
    let facts = Facts {
        days: std::cmp::max((now - last).num_days(), 0),
        orders: c.order_count,
        orders_in_window: in_window,
        spent: c.total_spent,
    };
    Ok(Analysis { derived: Some(facts.derive(&t)), facts: Some(facts), thresholds: t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scores_at_the_documented_boundaries() {
        let t = Thresholds::default();
        assert_eq!([0, 7, 8, 14, 15, 30, 31, 60, 61].map(|d| t.recency(d)), [5, 5, 4, 4, 3, 3, 2, 2, 1]);
        assert_eq!([0, 1, 2, 3, 5, 6, 10, 11].map(|n| t.frequency(n)), [1, 1, 2, 3, 3, 4, 4, 5]);
        assert_eq!(
            [0, 499_999, 500_000, 1_999_999, 2_000_000, 5_000_000, 10_000_000, 10_000_001].map(|m| t.monetary(m)),
            [1, 1, 2, 2, 3, 4, 4, 5]
        );
        assert!(t.validate().is_ok());
    }

    #[test]
    fn thresholds_must_be_ordered_and_leave_every_score_reachable() {
        let bad = |f: fn(&mut Thresholds)| {
            let mut t = Thresholds::default();
            f(&mut t);
            t.validate().unwrap_err()
        };
        assert!(
            matches!(bad(|t| t.recency_days = [7, 7, 30, 60]), AppError::BadInput { field, .. } if field == "input.recencyDays")
        );
        assert!(matches!(bad(|t| t.recency_days = [-1, 7, 30, 60]), AppError::BadInput { .. }));
        assert!(
            matches!(bad(|t| t.frequency_min = [2, 3, 6, 11]), AppError::BadInput { field, .. } if field == "input.frequencyMin")
        );
        assert!(matches!(bad(|t| t.frequency_min = [4, 3, 2, 0]), AppError::BadInput { .. }));
        assert!(
            matches!(bad(|t| t.monetary_min = [5, 5, 2, 1]), AppError::BadInput { field, .. } if field == "input.monetaryMin")
        );
    }

    #[test]
    fn every_score_combination_has_a_segment_without_the_fallback() {
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    let within = |v: i32, (lo, hi): (i32, i32)| (lo..=hi).contains(&v);
                    assert!(
                        SEGMENTS.iter().any(|s| within(r, s.r) && within(f, s.f) && within(m, s.m)),
                        "({r},{f},{m}) has no segment"
                    );
                }
            }
        }
        assert_eq!(segment_of(5, 5, 5), Segment::Champions);
        assert_eq!(segment_of(1, 5, 5), Segment::CantLoseThem);
        assert_eq!(segment_of(1, 1, 1), Segment::Lost);
        assert_eq!(segment_of(5, 1, 1), Segment::New);
    }

    #[test]
    fn tiers_follow_the_average_without_floats() {
        let facts = Facts { days: 1, orders: 1, orders_in_window: 1, spent: 1 };
        let tier = |r, f, m| first(&TIERS, &facts, (r, f, m));
        assert_eq!(tier(5, 5, 4), CustomerTier::Platinum, "4.67");
        assert_eq!(tier(5, 4, 4), CustomerTier::Gold, "4.33");
        assert_eq!(tier(4, 4, 3), CustomerTier::Gold, "3.67");
        assert_eq!(tier(4, 3, 3), CustomerTier::Silver, "3.33");
        assert_eq!(tier(3, 3, 2), CustomerTier::Silver, "2.67");
        assert_eq!(tier(3, 2, 2), CustomerTier::New, "2.33");
    }

    #[test]
    fn derived_fields_by_days_and_orders() {
        let t = Thresholds::default();
        let d = |days, orders| Facts { days, orders, orders_in_window: 1, spent: 100_000 }.derive(&t);
        assert_eq!(
            (d(3, 1).temperature, d(8, 1).temperature, d(31, 1).temperature),
            (Temperature::Hot, Temperature::Warm, Temperature::Cold)
        );
        assert_eq!(d(3, 1).lifecycle, LifecycleStage::New);
        assert_eq!(d(3, 2).lifecycle, LifecycleStage::Active);
        assert_eq!(d(60, 2).lifecycle, LifecycleStage::AtRisk);
        assert_eq!(d(91, 2).lifecycle, LifecycleStage::Churned);
        assert_eq!(d(90, 2).lifecycle, LifecycleStage::AtRisk);
        assert_eq!(d(3, 6).customer_type, CustomerType::Vip);
        assert_eq!(d(3, 3).customer_type, CustomerType::Repeat);
        assert_eq!(d(90, 9).customer_type, CustomerType::Inactive);
        assert_eq!(
            [29, 30, 60, 90, 120, 121].map(|x| d(x, 1).drop_off),
            [
                None,
                Some(DropOffRisk::Low),
                Some(DropOffRisk::Medium),
                Some(DropOffRisk::High),
                Some(DropOffRisk::High),
                Some(DropOffRisk::Critical)
            ]
        );
    }
}
