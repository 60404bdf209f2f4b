//! The call-task screen's calls: the day's tasks, closing one, generating
//! today's, and the agents' performance.

use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, ApiError, Connection, Money};

const OPERATIONS: &str = include_str!("call_tasks.graphql");

/// One call to make.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallTask {
    pub id: String,
    pub due_date: String,
    pub kind: String,
    pub priority: String,
    pub status: String,
    pub outcome: Option<String>,
    pub notes: Option<String>,
    pub agent: Option<Agent>,
    pub customer: TaskCustomer,
    pub recommendations: Vec<Recommendation>,
}

/// Who is to call.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
}

/// Whom to call.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TaskCustomer {
    pub id: String,
    pub name: String,
    pub phone: String,
}

/// A product to offer during the call.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub product_sku: String,
    pub product_name: String,
    pub discount_percent: i32,
    pub discounted_price: Money,
}

/// A task after an update.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Closed {
    pub id: String,
    pub status: String,
    pub outcome: Option<String>,
    pub notes: Option<String>,
}

/// What "Generate today's tasks" created.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub welcome: i64,
    pub follow_up: i64,
    pub at_risk: i64,
    pub birthday: i64,
    pub total: i64,
}

/// One agent's figures over a range.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Performance {
    pub agent_id: String,
    pub name: String,
    pub tasks: i64,
    pub completed: i64,
    pub successful: i64,
    pub skipped: i64,
    pub completion_rate: i32,
    pub success_rate: i32,
}

#[derive(Deserialize)]
struct Today {
    today: String,
}

impl Api {
    /// Today's tasks: the caller's, or every agent's.
    pub async fn call_tasks(self, all_agents: bool) -> Result<Vec<CallTask>, ApiError> {
        let page: Connection<CallTask> =
            self.operation(OPERATIONS, "CallTasks", json!({ "allAgents": all_agents })).await?;
        Ok(page.edges.into_iter().map(|e| e.node).collect())
    }

    /// Completes a task with `outcome`, or skips it (no outcome) with `notes`.
    pub async fn close_call_task(
        self,
        id: String,
        outcome: Option<&'static str>,
        notes: Option<String>,
    ) -> Result<Closed, ApiError> {
        let status = if outcome.is_some() { "COMPLETED" } else { "SKIPPED" };
        let vars = json!({ "id": id, "status": status, "outcome": outcome, "notes": notes });
        self.operation(OPERATIONS, "UpdateCallTask", vars).await
    }

    /// Creates today's tasks now.
    pub async fn generate_call_tasks(self) -> Result<Generated, ApiError> {
        self.operation(OPERATIONS, "GenerateCallTasks", json!({})).await
    }

    /// The agents' calls from `from` to `to` (`YYYY-MM-DD`).
    pub async fn agent_performance(self, from: String, to: String) -> Result<Vec<Performance>, ApiError> {
        self.operation(OPERATIONS, "AgentPerformance", json!({ "from": from, "to": to })).await
    }

    /// The business-local day.
    pub async fn call_tasks_today(self) -> Result<String, ApiError> {
        let today: Today = self.operation(OPERATIONS, "CallTasksToday", json!({})).await?;
        Ok(today.today)
    }
}
