//! CRM automation rules (DESIGN 4.7).
//!
//! **Daily call tasks** ([`generate_call_tasks`], the `call-tasks` job at
//! 6 AM business time, or `generateCallTasks`) for a business day `D`:
//!
//! - WELCOME: customers created from the start of the day before `D` up to
//!   the run (at most the end of `D`), who never had a welcome task. The
//!   6 AM run of `D` catches everyone who joined the day before and that
//!   night; each customer is welcomed once.
//! - FOLLOW_UP: customers with an interaction whose `follow_up_date` is `D`
//!   (one task however many interactions ask for it).
//! - AT_RISK: customers whose lifecycle stage is AT_RISK (60-90 days
//!   without an order), at most once every [`AT_RISK_EVERY_DAYS`] days.
//! - BIRTHDAY: customers whose birthday (month and day) is `D` or the day
//!   after; 29 February counts on 28 February in other years. One task per
//!   birthday: a customer called the day before is not called again on
//!   the day.
//!
//! BLACKLISTED customers get no task. **Priority** is the customer's
//! temperature (HOT / WARM / COLD), raised to at least WARM for WELCOME,
//! FOLLOW_UP and AT_RISK calls (new customers and at-risk customers are
//! COLD by temperature, yet these calls matter; a follow-up was promised).
//! **Assignment**: a FOLLOW_UP goes to whoever logged the interaction
//! (the latest one for that day) if they are still active staff (AGENT or
//! above); otherwise, and for the other kinds, to the customer's assigned
//! agent if active; otherwise round-robin over the active AGENT users, by
//! id, starting with those who hold the fewest tasks that day: each task
//! goes where giving it to the least loaded agent (lowest id on a tie)
//! would put it, so the day's tasks stay balanced (within one, when the
//! customers' own agents allow) and the result is deterministic. With no
//! active agent the task has none.
//!
//! Each kind is two `INSERT … SELECT` over the customers (tasks with an
//! agent of their own, then the dealt ones; nothing is read into memory,
//! whatever the size of the database), with `ON CONFLICT DO NOTHING` on the
//! unique (day, customer, kind): running again, or on two instances at
//! once, creates nothing twice. On PostgreSQL a generation takes a
//! transaction-level advisory lock so that two at once queue instead of
//! racing row by row (SQLite serialises writers anyway).
//!
//! **Updating a task**: PENDING → COMPLETED (an outcome is required) or
//! PENDING → SKIPPED (a reason in the notes is required); anything else is
//! `INVALID_TRANSITION`. An AGENT updates only their own tasks.
//!
//! **Agent performance** over business days `from..=to` (at most
//! [`MAX_RANGE_DAYS`]): tasks due, completed, successful (completed with an
//! outcome of [`CallOutcome::SUCCESSFUL`]: REACHED or PURCHASED), skipped;
//! completion rate = completed / tasks and success rate = successful /
//! completed, both in whole percent rounded down (0 when nothing to divide).
//!
//! **Recommendation rules** offer a product of the catalog, with a discount
//! of 0-100 %, to customers of one type or of any type. A customer's
//! recommendations are the active rules of their type and of any type
//! whose product is active, best first: higher priority, then a rule for
//! their type before an any-type rule, then the larger discount, then the
//! older rule.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    IntoActiveModel, JoinType, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set,
    Statement,
};
use serde_json::json;

use super::model::{CallKind, CallOutcome, CallPriority, CallStatus, call_task, rule};
use crate::app::AppCtx;
use crate::audit::service::{self as audit, Change};
use crate::auth::model::user;
use crate::auth::{Principal, Role};
use crate::customers::model::{CustomerType, customer};
use crate::error::{AppError, AppResult};
use crate::orders::model::product;

/// An AT_RISK customer is called at most once in this many days.
pub const AT_RISK_EVERY_DAYS: i64 = 30;
/// Longest range of [`agent_performance`], in days.
pub const MAX_RANGE_DAYS: i64 = 366;
/// Longest notes on a task.
pub const MAX_NOTES: usize = 2000;

/// The business-local day it is now.
pub fn today(ctx: &AppCtx) -> NaiveDate {
    ctx.now().with_timezone(&ctx.tz).date_naive()
}

// ------------------------------------------------------------ generation

/// What a generation created, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generated {
    pub welcome: u64,
    pub follow_up: u64,
    pub at_risk: u64,
    pub birthday: u64,
}

impl Generated {
    /// Tasks created, all kinds.
    pub fn total(&self) -> u64 {
        self.welcome + self.follow_up + self.at_risk + self.birthday
    }

    /// `3 welcome, 1 follow-up, 0 at-risk, 2 birthday call tasks created`.
    pub fn summary(&self) -> String {
        format!(
            "{} welcome, {} follow-up, {} at-risk, {} birthday call tasks created",
            self.welcome, self.follow_up, self.at_risk, self.birthday
        )
    }

    fn add(&mut self, kind: CallKind, n: u64) {
        match kind {
            CallKind::Welcome => self.welcome += n,
            CallKind::FollowUp => self.follow_up += n,
            CallKind::AtRisk => self.at_risk += n,
            CallKind::Birthday => self.birthday += n,
        }
    }
}

/// Generates the call tasks of `day` as the server (the daily job).
pub async fn generate_call_tasks(ctx: &AppCtx, day: NaiveDate) -> AppResult<Generated> {
    generate(ctx, &Principal::system(), day).await
}

/// Generates the call tasks of `day` (today or tomorrow) for `actor`, in
/// one transaction, audited; what exists already is left as it is.
#[tracing::instrument(skip(ctx, actor), fields(actor = %actor.actor()))]
pub async fn generate(ctx: &AppCtx, actor: &Principal, day: NaiveDate) -> AppResult<Generated> {
    let today = today(ctx);
    if day < today || day > today + Duration::days(1) {
        return Err(AppError::bad_input("date", format!("call tasks are generated for today ({today}) or tomorrow")));
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    if ctx.db.backend() == DbBackend::Postgres {
        let lock = "SELECT pg_advisory_xact_lock(hashtext('crm360:call-tasks:generate'))";
        tx.db().execute_unprepared(lock).await?;
    }
    let mut out = Generated::default();
    for kind in CallKind::ALL {
        let n = insert_kind(ctx, tx.db(), kind, day, now).await?;
        out.add(kind, n);
    }
    let after = json!({
        "date": day, "welcome": out.welcome, "followUp": out.follow_up,
        "atRisk": out.at_risk, "birthday": out.birthday,
    });
    audit::record(&tx, actor, now, Change::on("call_tasks.generate", "call_tasks", day).after(after)).await?;
    tx.commit().await?;
    tracing::info!(%day, welcome = out.welcome, follow_up = out.follow_up, at_risk = out.at_risk, birthday = out.birthday, "call tasks generated");
    Ok(out)
}

/// `sql` with its `?` placeholders numbered for PostgreSQL.
fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    if backend != DbBackend::Postgres {
        return Statement::from_sql_and_values(backend, sql, values);
    }
    let mut n = 0;
    let mut out = String::with_capacity(sql.len() + 16);
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    Statement::from_sql_and_values(backend, out, values)
}

/// The id `expr` names if it is an active member of staff who can own
/// customers (AGENT or above), else NULL.
fn active_staff(expr: &str) -> String {
    format!("(SELECT u.id FROM users u WHERE u.id = {expr} AND u.active = TRUE AND u.role <> 'VIEWER')")
}

/// The active AGENT users and how many tasks each holds on `day`, fewest
/// first, then by id.
async fn agent_loads<C: ConnectionTrait>(db: &C, day: NaiveDate) -> AppResult<Vec<(i64, i64)>> {
    let sql = "SELECT u.id, (SELECT COUNT(*) FROM call_tasks t WHERE t.agent_id = u.id AND t.due_date = ?) AS load \
               FROM users u WHERE u.role = 'AGENT' AND u.active = TRUE ORDER BY load, u.id";
    let rows = db.query_all_raw(statement(db.get_database_backend(), sql, vec![day.into()])).await?;
    rows.iter().map(|r| Ok((r.try_get::<i64>("", "id")?, r.try_get::<i64>("", "load")?))).collect()
}

/// `CASE (offset) % n WHEN 0 THEN id0 … END`: round-robin over `ids`.
fn round_robin(ids: &[i64], offset: &str) -> String {
    let arms: String = ids.iter().enumerate().map(|(i, id)| format!(" WHEN {i} THEN {id}")).collect();
    format!("CASE ({offset}) % {}{arms} END", ids.len())
}

/// The agent of the `rn`-th new task (from 1) given the agents' `loads`
/// (fewest first): the least loaded agents are dealt to round-robin (by
/// id) until they reach the next load, then with those agents too, and so
/// on; past the highest load, round-robin over everyone. The result is
/// what giving each task to the least loaded agent (the lowest id on a
/// tie) would give, as one SQL expression. NULL without agents.
fn deal(loads: &[(i64, i64)], rn: &str) -> String {
    if loads.is_empty() {
        return "NULL".to_owned();
    }
    let mut arms = Vec::new();
    let mut dealt = 0i64;
    let mut i = 0;
    while i < loads.len() {
        let level = loads[i].1;
        let mut j = i;
        while j < loads.len() && loads[j].1 == level {
            j += 1;
        }
        let mut active: Vec<i64> = loads[..j].iter().map(|a| a.0).collect();
        active.sort_unstable();
        let rr = round_robin(&active, &format!("{rn} - {dealt} - 1"));
        if j == loads.len() {
            if arms.is_empty() {
                return rr;
            }
            arms.push(format!("ELSE {rr}"));
            break;
        }
        dealt += (loads[j].1 - level) * j as i64;
        arms.push(format!("WHEN {rn} <= {dealt} THEN {rr}"));
        i = j;
    }
    format!("CASE {} END", arms.join(" "))
}

/// `MM-DD` of the birthdays celebrated on `day`: its own, plus 29 February
/// on 28 February of a year without one.
fn birthday_keys(day: NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let mut keys = vec![day.format("%m-%d").to_string()];
    if day.month() == 2 && day.day() == 28 && NaiveDate::from_ymd_opt(day.year(), 2, 29).is_none() {
        keys.push("02-29".to_owned());
    }
    keys
}

/// Inserts the tasks of one kind for `day`; returns how many were created.
async fn insert_kind<C: ConnectionTrait>(
    ctx: &AppCtx,
    db: &C,
    kind: CallKind,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let kind_value = kind.to_value();
    // Statement values, in the order of the `?` in the SQL below.
    let mut values: Vec<sea_orm::Value> = vec![day.into(), now.into()];

    let assigned = active_staff("c.assigned_agent_id");
    let preferred = match kind {
        CallKind::FollowUp => {
            values.push(day.into());
            let logger = "(SELECT i.agent_id FROM interactions i WHERE i.customer_id = c.id \
                          AND i.follow_up_date = ? ORDER BY i.id DESC LIMIT 1)";
            format!("COALESCE({}, {assigned})", active_staff(logger))
        }
        _ => assigned,
    };
    let condition = match kind {
        CallKind::Welcome => {
            let from = crate::clock::day_start(ctx.tz, day - Duration::days(1))?;
            let end = crate::clock::day_start(ctx.tz, day + Duration::days(1))? - Duration::microseconds(1);
            let until = std::cmp::min(end, now);
            values.extend([from.into(), until.into()]);
            "c.created_at >= ? AND c.created_at <= ? AND NOT EXISTS (SELECT 1 FROM call_tasks t \
             WHERE t.customer_id = c.id AND t.kind = 'WELCOME')"
                .to_owned()
        }
        CallKind::FollowUp => {
            values.extend([day.into(), day.into()]);
            "EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.id AND i.follow_up_date = ?) \
             AND NOT EXISTS (SELECT 1 FROM call_tasks t WHERE t.customer_id = c.id AND t.kind = 'FOLLOW_UP' \
             AND t.due_date = ?)"
                .to_owned()
        }
        CallKind::AtRisk => {
            values.extend([(day - Duration::days(AT_RISK_EVERY_DAYS)).into(), day.into()]);
            "c.lifecycle_stage = 'AT_RISK' AND NOT EXISTS (SELECT 1 FROM call_tasks t WHERE t.customer_id = c.id \
             AND t.kind = 'AT_RISK' AND t.due_date > ? AND t.due_date <= ?)"
                .to_owned()
        }
        CallKind::Birthday => {
            let mut keys = birthday_keys(day);
            keys.extend(birthday_keys(day + Duration::days(1)));
            let month_day = match backend {
                DbBackend::Postgres => "to_char(c.birthday, 'MM-DD')",
                _ => "substr(c.birthday, 6, 5)",
            };
            let marks = vec!["?"; keys.len()].join(", ");
            values.extend(keys.into_iter().map(sea_orm::Value::from));
            values.extend([(day - Duration::days(1)).into(), day.into()]);
            format!(
                "c.birthday IS NOT NULL AND {month_day} IN ({marks}) AND NOT EXISTS (SELECT 1 FROM call_tasks t \
                 WHERE t.customer_id = c.id AND t.kind = 'BIRTHDAY' AND t.due_date >= ? AND t.due_date <= ?)"
            )
        }
    };
    let priority = match kind {
        CallKind::Birthday => {
            "CASE s.temperature WHEN 'HOT' THEN 'HOT' WHEN 'WARM' THEN 'WARM' ELSE 'COLD' END".to_owned()
        }
        _ => "CASE s.temperature WHEN 'HOT' THEN 'HOT' ELSE 'WARM' END".to_owned(),
    };
    // The candidates, with the agent they go to when there is one.
    let candidates = format!(
        "SELECT c.id, c.temperature, {preferred} AS pref FROM customers c \
         WHERE c.status <> 'BLACKLISTED' AND c.merged_into_id IS NULL AND {condition}"
    );
    let insert = "INSERT INTO call_tasks (due_date, customer_id, kind, priority, agent_id, status, created_at)";
    let conflict = "ON CONFLICT (due_date, customer_id, kind) DO NOTHING";
    // 1. Tasks with an agent of their own.
    let sql = format!(
        "{insert} SELECT ?, s.id, '{kind_value}', {priority}, s.pref, 'PENDING', ? \
         FROM ({candidates}) s WHERE s.pref IS NOT NULL {conflict}"
    );
    let own = db.execute_raw(statement(backend, &sql, values.clone())).await?.rows_affected();
    // 2. The others, dealt to the agents by how many tasks they now hold.
    let loads = agent_loads(db, day).await?;
    let sql = format!(
        "{insert} SELECT ?, s.id, '{kind_value}', {priority}, {}, 'PENDING', ? \
         FROM (SELECT p.id, p.temperature, ROW_NUMBER() OVER (ORDER BY p.id) AS rn \
               FROM ({candidates}) p WHERE p.pref IS NULL) s \
         WHERE TRUE {conflict}",
        deal(&loads, "s.rn")
    );
    let dealt = db.execute_raw(statement(backend, &sql, values)).await?.rows_affected();
    Ok(own + dealt)
}

// ----------------------------------------------------------------- lists

/// Whose tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// One agent's.
    Agent(i64),
    /// Everyone's (and those without an agent).
    All,
}

/// Whose tasks `actor` asked for: their own by default; an AGENT sees only
/// their own (`FORBIDDEN` otherwise), a MANAGER or ADMIN anyone's or all.
pub fn assignee_for(actor: &Principal, agent_id: Option<i64>, all: bool) -> AppResult<Assignee> {
    let own = actor.user_id();
    if actor.role < Role::Manager {
        let me = own.ok_or_else(|| AppError::Forbidden("call tasks belong to staff users".into()))?;
        if all || agent_id.is_some_and(|a| a != me) {
            return Err(AppError::Forbidden("an AGENT sees only their own call tasks".into()));
        }
        return Ok(Assignee::Agent(me));
    }
    Ok(match (all, agent_id, own) {
        (true, _, _) => Assignee::All,
        (false, Some(a), _) => Assignee::Agent(a),
        (false, None, Some(me)) => Assignee::Agent(me),
        (false, None, None) => Assignee::All,
    })
}

/// What a list of call tasks shows.
#[derive(Debug, Clone, Copy)]
pub struct TaskQuery {
    pub assignee: Assignee,
    pub date: NaiveDate,
    pub status: Option<CallStatus>,
}

fn filtered(q: &TaskQuery) -> sea_orm::Select<call_task::Entity> {
    use call_task::Column as T;
    let mut select = call_task::Entity::find().filter(T::DueDate.eq(q.date));
    if let Assignee::Agent(a) = q.assignee {
        select = select.filter(T::AgentId.eq(a));
    }
    if let Some(s) = q.status {
        select = select.filter(T::Status.eq(s));
    }
    select
}

/// `CASE col WHEN v0 THEN 0 … END`: the rank of an enum column.
fn rank<T: ActiveEnum<Value = String>>(column: call_task::Column, order: &[T]) -> sea_orm::sea_query::SimpleExpr {
    let mut case = sea_orm::sea_query::CaseStatement::new();
    for (i, v) in order.iter().enumerate() {
        case = case.case(Expr::col((call_task::Entity, column)).eq(v.to_value()), Expr::val(i as i32));
    }
    case.finally(Expr::val(order.len() as i32)).into()
}

/// A page of tasks: priority (HOT, WARM, COLD), then kind (WELCOME,
/// FOLLOW_UP, AT_RISK, BIRTHDAY), then customer name, then id; `offset`
/// rows skipped.
pub async fn list(ctx: &AppCtx, q: &TaskQuery, offset: u64, limit: u64) -> AppResult<Vec<call_task::Model>> {
    Ok(filtered(q)
        .join(JoinType::InnerJoin, call_task::Relation::Customer.def())
        .order_by(rank(call_task::Column::Priority, &CallPriority::ALL), Order::Asc)
        .order_by(rank(call_task::Column::Kind, &CallKind::ALL), Order::Asc)
        .order_by(Expr::col((customer::Entity, customer::Column::Name)), Order::Asc)
        .order_by_asc(call_task::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(ctx.db.conn())
        .await?)
}

/// Size of the list.
pub async fn count(ctx: &AppCtx, q: &TaskQuery) -> AppResult<u64> {
    Ok(filtered(q).count(ctx.db.conn()).await?)
}

// ---------------------------------------------------------------- update

/// How a task is closed.
#[derive(Debug, Clone)]
pub struct TaskUpdate {
    pub status: CallStatus,
    pub outcome: Option<CallOutcome>,
    pub notes: Option<String>,
}

fn kind_label(kind: CallKind) -> &'static str {
    match kind {
        CallKind::Welcome => "Welcome call",
        CallKind::FollowUp => "Follow-up call",
        CallKind::AtRisk => "At-risk recovery call",
        CallKind::Birthday => "Birthday call",
    }
}

fn outcome_label(outcome: CallOutcome) -> &'static str {
    match outcome {
        CallOutcome::Reached => "reached",
        CallOutcome::NoAnswer => "no answer",
        CallOutcome::Callback => "callback requested",
        CallOutcome::NotInterested => "not interested",
        CallOutcome::WrongNumber => "wrong number",
        CallOutcome::Purchased => "purchased",
    }
}

/// Completes or skips a PENDING task (see the module docs); writes the
/// customer's timeline and the audit log in the same transaction.
#[tracing::instrument(skip(ctx, actor, upd), fields(actor = %actor.actor()))]
pub async fn update(ctx: &AppCtx, actor: &Principal, id: i64, upd: TaskUpdate) -> AppResult<call_task::Model> {
    let notes = upd.notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if notes.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTES) {
        return Err(AppError::bad_input("notes", format!("at most {MAX_NOTES} characters")));
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let before = call_task::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("call task {id}")))?;
    if actor.role < Role::Manager && (actor.user_id().is_none() || before.agent_id != actor.user_id()) {
        return Err(AppError::Forbidden("an AGENT updates only their own call tasks".into()));
    }
    if !before.status.can_become(upd.status) {
        return Err(AppError::InvalidTransition { from: before.status.to_value(), to: upd.status.to_value() });
    }
    let summary = match (upd.status, upd.outcome) {
        (CallStatus::Completed, None) => {
            return Err(AppError::bad_input("outcome", "a completed call needs an outcome"));
        }
        (CallStatus::Completed, Some(o)) => format!("{}: {}", kind_label(before.kind), outcome_label(o)),
        (_, Some(_)) => return Err(AppError::bad_input("outcome", "a skipped call has no outcome")),
        (_, None) => match &notes {
            Some(reason) => format!("{} skipped: {reason}", kind_label(before.kind)),
            None => return Err(AppError::bad_input("notes", "say why the call is skipped")),
        },
    };
    let mut am = before.clone().into_active_model();
    am.status = Set(upd.status);
    am.outcome = Set(upd.outcome);
    am.notes = Set(notes.clone());
    am.completed_at = Set(Some(now));
    let after = am.update(tx.db()).await?;
    let summary = match (&notes, upd.status) {
        (Some(n), CallStatus::Completed) => format!("{summary} — {n}"),
        _ => summary,
    };
    let activity = if upd.status == CallStatus::Completed { "call_task.completed" } else { "call_task.skipped" };
    let data = json!({
        "callTaskId": id, "kind": before.kind.to_value(), "outcome": upd.outcome.map(|o| o.to_value()),
    });
    crate::activities::service::record(tx.db(), before.customer_id, activity, summary, data, actor, now).await?;
    audit::record(
        &tx,
        actor,
        now,
        Change::on("call_task.update", "call_task", id)
            .before(audit::snapshot(&before)?)
            .after(audit::snapshot(&after)?),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

// ----------------------------------------------------------- performance

/// One agent's call figures over a range of days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentPerformance {
    pub agent_id: i64,
    pub name: String,
    /// Tasks due in the range.
    pub tasks: i64,
    pub completed: i64,
    /// Completed with a successful outcome ([`CallOutcome::SUCCESSFUL`]).
    pub successful: i64,
    pub skipped: i64,
    /// `completed × 100 / tasks`, rounded down.
    pub completion_rate: i32,
    /// `successful × 100 / completed`, rounded down.
    pub success_rate: i32,
}

/// `part × 100 / whole` in whole percent rounded down; 0 for an empty whole.
pub fn percent(part: i64, whole: i64) -> i32 {
    if whole <= 0 { 0 } else { (part * 100 / whole) as i32 }
}

#[derive(FromQueryResult)]
struct Figures {
    agent_id: i64,
    tasks: i64,
    completed: Option<i64>,
    successful: Option<i64>,
    skipped: Option<i64>,
}

/// Per agent, the tasks due on the business days `from..=to` (at most
/// [`MAX_RANGE_DAYS`]), by name: one grouped scan, then the names.
pub async fn agent_performance<C: ConnectionTrait>(
    db: &C,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<AgentPerformance>> {
    use call_task::Column as T;
    if from > to {
        return Err(AppError::bad_input("to", "must not be before from"));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(AppError::bad_input("to", format!("at most {MAX_RANGE_DAYS} days at once")));
    }
    let completed = Expr::col(T::Status).eq(CallStatus::Completed.to_value());
    let successful =
        completed.clone().and(Expr::col(T::Outcome).is_in(CallOutcome::SUCCESSFUL.iter().map(|o| o.to_value())));
    let skipped = Expr::col(T::Status).eq(CallStatus::Skipped.to_value());
    let sum = |cond: sea_orm::sea_query::SimpleExpr| Expr::expr(Expr::case(cond, 1).finally(0)).sum().cast_as("BIGINT");
    let rows = call_task::Entity::find()
        .select_only()
        .column(T::AgentId)
        .column_as(Expr::col(T::Id).count(), "tasks")
        .column_as(sum(completed), "completed")
        .column_as(sum(successful), "successful")
        .column_as(sum(skipped), "skipped")
        .filter(T::AgentId.is_not_null())
        .filter(T::DueDate.gte(from))
        .filter(T::DueDate.lte(to))
        .group_by(T::AgentId)
        .into_model::<Figures>()
        .all(db)
        .await?;
    let names: HashMap<i64, String> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .filter(user::Column::Id.is_in(rows.iter().map(|r| r.agent_id)))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut out: Vec<AgentPerformance> = rows
        .into_iter()
        .map(|r| {
            let (completed, successful) = (r.completed.unwrap_or(0), r.successful.unwrap_or(0));
            AgentPerformance {
                agent_id: r.agent_id,
                name: names.get(&r.agent_id).cloned().unwrap_or_default(),
                tasks: r.tasks,
                completed,
                successful,
                skipped: r.skipped.unwrap_or(0),
                completion_rate: percent(completed, r.tasks),
                success_rate: percent(successful, completed),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.agent_id.cmp(&b.agent_id)));
    Ok(out)
}

// ------------------------------------------------------- recommendations

/// A rule to create (no `id`) or to replace.
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub id: Option<i64>,
    pub customer_type: Option<CustomerType>,
    pub category: String,
    pub product_sku: String,
    pub discount_percent: i32,
    pub active: bool,
    pub priority: i32,
}

/// Highest rule priority.
pub const MAX_RULE_PRIORITY: i32 = 1000;

/// Creates or replaces a rule (`input.*` fields in errors).
pub async fn save_rule(ctx: &AppCtx, actor: &Principal, input: RuleInput) -> AppResult<rule::Model> {
    let category = input.category.split_whitespace().collect::<Vec<_>>().join(" ");
    if category.is_empty() || category.chars().count() > 100 {
        return Err(AppError::bad_input("input.category", "a category is 1 to 100 characters"));
    }
    if !(0..=100).contains(&input.discount_percent) {
        return Err(AppError::bad_input("input.discountPercent", "a discount is 0 to 100 percent"));
    }
    if !(0..=MAX_RULE_PRIORITY).contains(&input.priority) {
        return Err(AppError::bad_input("input.priority", format!("a priority is 0 to {MAX_RULE_PRIORITY}")));
    }
    let sku = input.product_sku.trim().to_owned();
    let known = product::Entity::find().filter(product::Column::Sku.eq(sku.as_str())).one(ctx.db.conn()).await?;
    if known.is_none() {
        return Err(AppError::bad_input("input.productSku", format!("no product with SKU {sku:?}")));
    }
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let before = match input.id {
        Some(id) => Some(
            rule::Entity::find_by_id(id)
                .lock_exclusive()
                .one(tx.db())
                .await?
                .ok_or_else(|| AppError::NotFound(format!("recommendation rule {id}")))?,
        ),
        None => None,
    };
    let mut am = match &before {
        Some(b) => b.clone().into_active_model(),
        None => rule::ActiveModel { created_at: Set(now), ..Default::default() },
    };
    am.customer_type = Set(input.customer_type);
    am.category = Set(category);
    am.product_sku = Set(sku);
    am.discount_percent = Set(input.discount_percent);
    am.active = Set(input.active);
    am.priority = Set(input.priority);
    let saved = match before {
        Some(_) => am.update(tx.db()).await?,
        None => am.insert(tx.db()).await?,
    };
    let mut change = Change::on("recommendation_rule.save", "recommendation_rule", saved.id);
    if let Some(b) = &before {
        change = change.before(audit::snapshot(b)?);
    }
    audit::record(&tx, actor, now, change.after(audit::snapshot(&saved)?)).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Deletes a rule; `NOT_FOUND` when there is none.
pub async fn delete_rule(ctx: &AppCtx, actor: &Principal, id: i64) -> AppResult<rule::Model> {
    let now = ctx.now();
    let tx = ctx.begin().await?;
    let before = rule::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx.db())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("recommendation rule {id}")))?;
    rule::Entity::delete_by_id(id).exec(tx.db()).await?;
    let change = Change::on("recommendation_rule.delete", "recommendation_rule", id).before(audit::snapshot(&before)?);
    audit::record(&tx, actor, now, change).await?;
    tx.commit().await?;
    Ok(before)
}

/// Every rule, highest priority first (active ones only when asked).
pub async fn rules(ctx: &AppCtx, active_only: bool) -> AppResult<Vec<rule::Model>> {
    let mut q = rule::Entity::find();
    if active_only {
        q = q.filter(rule::Column::Active.eq(true));
    }
    Ok(q.order_by_desc(rule::Column::Priority).order_by_asc(rule::Column::Id).all(ctx.db.conn()).await?)
}

/// The products of these SKUs, by SKU.
pub async fn products_by_sku<C: ConnectionTrait>(
    db: &C,
    skus: &[String],
) -> AppResult<HashMap<String, product::Model>> {
    let rows = product::Entity::find().filter(product::Column::Sku.is_in(skus.iter().cloned())).all(db).await?;
    Ok(rows.into_iter().map(|p| (p.sku.clone(), p)).collect())
}

/// A rule and the product it offers.
#[derive(Debug, Clone)]
pub struct Recommendation {
    pub rule: rule::Model,
    pub product: product::Model,
}

impl Recommendation {
    /// The price after the discount, rounded down to a minor unit.
    pub fn discounted_price(&self) -> i64 {
        (i128::from(self.product.price) * i128::from(100 - self.rule.discount_percent) / 100) as i64
    }
}

/// The recommendations for customers of each of `types`, best first (see
/// the module docs): two queries whatever the number of types.
pub async fn recommendations_for_types<C: ConnectionTrait>(
    db: &C,
    types: &[CustomerType],
) -> AppResult<HashMap<CustomerType, Vec<Recommendation>>> {
    use rule::Column as R;
    let found = rule::Entity::find()
        .filter(R::Active.eq(true))
        .filter(R::CustomerType.is_in(types.iter().map(|t| t.to_value())).or(R::CustomerType.is_null()))
        .all(db)
        .await?;
    let skus: Vec<String> = found.iter().map(|r| r.product_sku.clone()).collect();
    let products = products_by_sku(db, &skus).await?;
    let mut out: HashMap<CustomerType, Vec<Recommendation>> = HashMap::new();
    for t in types {
        let mut list: Vec<Recommendation> = found
            .iter()
            .filter(|r| r.customer_type.is_none_or(|rt| rt == *t))
            .filter_map(|r| {
                let product = products.get(&r.product_sku).filter(|p| p.active)?;
                Some(Recommendation { rule: r.clone(), product: product.clone() })
            })
            .collect();
        list.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.rule.priority),
                r.rule.customer_type.is_none(),
                std::cmp::Reverse(r.rule.discount_percent),
                r.rule.id,
            )
        });
        out.insert(*t, list);
    }
    Ok(out)
}

/// The recommendations for one customer the caller may see.
pub async fn recommendations(ctx: &AppCtx, actor: &Principal, customer_id: i64) -> AppResult<Vec<Recommendation>> {
    let c = crate::customers::service::get(ctx, actor, customer_id).await?;
    let mut by_type = recommendations_for_types(ctx.db.conn(), &[c.customer_type]).await?;
    Ok(by_type.remove(&c.customer_type).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_29th_of_february_is_celebrated_on_the_28th_in_other_years() {
        assert_eq!(birthday_keys(d(2027, 2, 28)), ["02-28", "02-29"]);
        assert_eq!(birthday_keys(d(2028, 2, 28)), ["02-28"]);
        assert_eq!(birthday_keys(d(2028, 2, 29)), ["02-29"]);
        assert_eq!(birthday_keys(d(2026, 11, 22)), ["11-22"]);
    }

    #[test]
    fn only_pending_tasks_move_and_only_to_completed_or_skipped() {
        use CallStatus::*;
        assert!(Pending.can_become(Completed) && Pending.can_become(Skipped));
        for (from, to) in [(Pending, Pending), (Completed, Skipped), (Skipped, Completed), (Completed, Pending)] {
            assert!(!from.can_become(to), "{from:?} → {to:?}");
        }
    }

    #[test]
    fn dealing_fills_the_least_loaded_agents_first_then_goes_round() {
        // Agents 1 and 2 hold nothing, 3 holds two: rows 1-4 go to 1 and 2,
        // then round-robin over all three.
        let sql = deal(&[(1, 0), (2, 0), (3, 2)], "rn");
        assert_eq!(
            sql,
            "CASE WHEN rn <= 4 THEN CASE (rn - 0 - 1) % 2 WHEN 0 THEN 1 WHEN 1 THEN 2 END \
             ELSE CASE (rn - 4 - 1) % 3 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 3 END END"
        );
        assert_eq!(deal(&[(1, 3), (2, 3)], "rn"), "CASE (rn - 0 - 1) % 2 WHEN 0 THEN 1 WHEN 1 THEN 2 END");
        assert_eq!(deal(&[], "rn"), "NULL");
    }

    #[test]
    fn rates_are_whole_percents_rounded_down() {
        assert_eq!(percent(2, 3), 66);
        assert_eq!(percent(3, 3), 100);
        assert_eq!(percent(0, 0), 0);
    }

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let s = statement(DbBackend::Postgres, "a = ? AND b IN (?, ?)", vec![1.into(), 2.into(), 3.into()]);
        assert_eq!(s.sql, "a = $1 AND b IN ($2, $3)");
    }

    #[test]
    fn an_agent_sees_only_their_own_tasks() {
        use crate::auth::principal::Credential;
        let agent = Principal { credential: Credential::User { user_id: 7 }, role: Role::Agent, expires_at: None };
        assert_eq!(assignee_for(&agent, None, false).unwrap(), Assignee::Agent(7));
        assert_eq!(assignee_for(&agent, Some(7), false).unwrap(), Assignee::Agent(7));
        assert!(assignee_for(&agent, Some(8), false).is_err());
        assert!(assignee_for(&agent, None, true).is_err());
        let manager = Principal { role: Role::Manager, ..agent };
        assert_eq!(assignee_for(&manager, None, false).unwrap(), Assignee::Agent(7));
        assert_eq!(assignee_for(&manager, Some(8), false).unwrap(), Assignee::Agent(8));
        assert_eq!(assignee_for(&manager, None, true).unwrap(), Assignee::All);
    }
}
