//! `wallet-load`: a load generator for the wallet mutations of a running
//! crm360 server (used by `scripts/bench-wallet.sh`).
//!
//! It signs in, collects the ids of `--wallets` customers (or only the first
//! one with `--hot`), then runs `--clients` concurrent loops, each sending
//! one `deposit` or `withdraw` at a time with a fresh idempotency key, for
//! `--warmup-secs` (not measured) plus `--duration-secs`. It prints
//! throughput, latency percentiles and counts, then one machine-readable
//! line:
//!
//! ```text
//! RESULT ops_per_sec=… p50_ms=… p99_ms=… failures=… …
//! ```
//!
//! An `INSUFFICIENT_FUNDS` refusal is a successful operation (the server
//! answered correctly), counted apart; anything else that is not a
//! transaction (transport error, HTTP error, other GraphQL error, a replay
//! of a fresh key) is a failure. The exit status is 0 only when there was
//! no failure and at least one operation completed.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// How many failure messages are printed as they happen.
const SHOWN_FAILURES: usize = 5;
/// Largest page the `customers` connection serves.
const PAGE_SIZE: usize = 100;

/// Load generator for crm360's `deposit` / `withdraw` mutations.
#[derive(Debug, Parser)]
#[command(name = "wallet-load", about)]
struct Args {
    /// GraphQL endpoint of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8080/graphql")]
    url: String,
    /// Staff email to sign in with (a role that may deposit and withdraw).
    #[arg(long)]
    email: String,
    /// Password of that staff member.
    #[arg(long)]
    password: String,
    /// Concurrent clients, each with one request in flight.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    clients: u32,
    /// Measured duration, after the warm-up.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    duration_secs: u64,
    /// Warm-up before measuring (operations run but are not measured).
    #[arg(long, default_value_t = 3)]
    warmup_secs: u64,
    /// How many distinct customers' wallets to spread the load over.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    wallets: u64,
    /// Every client works on one wallet (the first customer): maximum contention.
    #[arg(long)]
    hot: bool,
    /// Fraction of operations that are withdraws; the rest are deposits.
    #[arg(long, default_value_t = 0.3, value_parser = parse_ratio)]
    withdraw_ratio: f64,
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&v) { Ok(v) } else { Err(format!("{v} is not between 0 and 1")) }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(report) => {
            report.print();
            if report.failures == 0 && report.ok_ops() > 0 { ExitCode::SUCCESS } else { ExitCode::from(2) }
        }
        Err(e) => {
            eprintln!("wallet-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<Report> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients as usize)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let api = Api { http, url: args.url.clone(), token: String::new() };
    let token = api.login(&args.email, &args.password).await?;
    let api = Arc::new(Api { token, ..api });

    let wanted = if args.hot { 1 } else { args.wallets as usize };
    let customers = Arc::new(api.customer_ids(wanted).await?);
    let target = if args.hot { "1 wallet (hot)".to_owned() } else { format!("{} wallets", customers.len()) };
    println!(
        "wallet-load: {} clients on {target}, withdraw ratio {:.2}, {} s measured after {} s warm-up",
        args.clients, args.withdraw_ratio, args.duration_secs, args.warmup_secs
    );

    let start = Instant::now();
    let plan = Plan {
        measure_from: start + Duration::from_secs(args.warmup_secs),
        stop_at: start + Duration::from_secs(args.warmup_secs + args.duration_secs),
        withdraw_ratio: args.withdraw_ratio,
    };
    let shown = Arc::new(Mutex::new(0usize));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.clients {
        tasks.spawn(client_loop(api.clone(), customers.clone(), plan, shown.clone()));
    }
    let mut report = Report::new(args.duration_secs as f64)?;
    while let Some(stats) = tasks.join_next().await {
        report.merge(stats.context("a client task panicked")??)?;
    }
    Ok(report)
}

/// The server, as one signed-in staff member.
struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

/// What one GraphQL request came back as.
enum Answer {
    Data(Value),
    /// The first GraphQL error's `extensions.code` (or `""`) and message.
    Error {
        code: String,
        message: String,
    },
}

impl Api {
    /// Sends one GraphQL request; transport and HTTP errors are `Err`.
    async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Answer> {
        let mut req = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        let resp = req.send().await.context("sending the request")?;
        let status = resp.status();
        let body = resp.bytes().await.context("reading the response")?;
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            let text = String::from_utf8_lossy(&body);
            bail!("HTTP {status}: {}", text.chars().take(200).collect::<String>());
        };
        if let Some(first) = body.get("errors").and_then(Value::as_array).and_then(|e| e.first()) {
            let code = first.pointer("/extensions/code").and_then(Value::as_str).unwrap_or_default();
            let message = first.get("message").and_then(Value::as_str).unwrap_or_default();
            return Ok(Answer::Error { code: code.to_owned(), message: message.to_owned() });
        }
        if !status.is_success() {
            bail!("HTTP {status}: {body}");
        }
        Ok(Answer::Data(body.get("data").cloned().unwrap_or(Value::Null)))
    }

    /// Like [`Api::graphql`], but a GraphQL error is an `Err` too.
    async fn data(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        match self.graphql(query, variables).await? {
            Answer::Data(data) => Ok(data),
            Answer::Error { code, message } => bail!("GraphQL error {code}: {message}"),
        }
    }

    async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let query =
            "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";
        let data = self
            .data(query, json!({ "email": email, "password": password }))
            .await
            .with_context(|| format!("signing in as {email} at {}", self.url))?;
        data.pointer("/login/token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("no data.login.token in {data}"))
    }

    /// The ids of the first `wanted` customers, paging through `customers`.
    async fn customer_ids(&self, wanted: usize) -> anyhow::Result<Vec<String>> {
        let query = "query($first: Int, $after: String) { customers(first: $first, after: $after) { \
                     edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
        let mut ids = Vec::with_capacity(wanted);
        let mut after: Option<String> = None;
        while ids.len() < wanted {
            let first = (wanted - ids.len()).min(PAGE_SIZE);
            let data = self
                .data(query, json!({ "first": first, "after": after }))
                .await
                .with_context(|| format!("listing customers (after {} of them)", ids.len()))?;
            let page = data.get("customers").with_context(|| format!("no data.customers in {data}"))?;
            let edges = page.get("edges").and_then(Value::as_array).context("no customers.edges")?;
            for edge in edges.iter().take(wanted - ids.len()) {
                let id = edge.pointer("/node/id").context("an edge without node.id")?;
                // `ID` may come back as a string or a number; send it back as a string.
                ids.push(id.as_str().map_or_else(|| id.to_string(), str::to_owned));
            }
            let more = page.pointer("/pageInfo/hasNextPage").and_then(Value::as_bool).unwrap_or(false);
            after = page.pointer("/pageInfo/endCursor").and_then(Value::as_str).map(str::to_owned);
            if !more || after.is_none() || edges.is_empty() {
                break;
            }
        }
        if ids.len() < wanted {
            bail!(
                "asked for {wanted} customers, the server has only {}: seed more (crm360 seed --customers N)",
                ids.len()
            );
        }
        Ok(ids)
    }
}

/// When to measure and stop, and the operation mix; shared by all clients.
#[derive(Debug, Clone, Copy)]
struct Plan {
    measure_from: Instant,
    stop_at: Instant,
    withdraw_ratio: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Deposit,
    Withdraw,
}

enum Outcome {
    Done,
    InsufficientFunds,
    Failed(String),
}

const DEPOSIT: &str = "mutation($i: DepositInput!) { deposit(input: $i) { transaction { code } replayed } }";
const WITHDRAW: &str = "mutation($i: WithdrawInput!) { withdraw(input: $i) { transaction { code } replayed } }";

async fn send(api: &Api, op: Op, customer_id: &str, amount: u64) -> Outcome {
    let (query, field) = match op {
        Op::Deposit => (DEPOSIT, "deposit"),
        Op::Withdraw => (WITHDRAW, "withdraw"),
    };
    let input = json!({
        "customerId": customer_id,
        "amount": amount.to_string(),
        "idempotencyKey": uuid::Uuid::new_v4().to_string(),
    });
    match api.graphql(query, json!({ "i": input })).await {
        Err(e) => Outcome::Failed(format!("{field}: {e:#}")),
        Ok(Answer::Error { code, .. }) if op == Op::Withdraw && code == "INSUFFICIENT_FUNDS" => {
            Outcome::InsufficientFunds
        }
        Ok(Answer::Error { code, message }) => Outcome::Failed(format!("{field}: GraphQL error {code}: {message}")),
        Ok(Answer::Data(data)) => {
            let result = &data[field];
            if result.pointer("/transaction/code").and_then(Value::as_str).is_none() {
                Outcome::Failed(format!("{field}: no transaction code in {data}"))
            } else if result["replayed"] == Value::Bool(true) {
                Outcome::Failed(format!("{field}: replayed = true for a fresh idempotency key"))
            } else {
                Outcome::Done
            }
        }
    }
}

/// One client: one request in flight until `stop_at`.
async fn client_loop(
    api: Arc<Api>,
    customers: Arc<Vec<String>>,
    plan: Plan,
    shown: Arc<Mutex<usize>>,
) -> anyhow::Result<Stats> {
    let mut rng = StdRng::from_os_rng();
    let mut stats = Stats::new()?;
    loop {
        let started = Instant::now();
        if started >= plan.stop_at {
            return Ok(stats);
        }
        let customer = &customers[rng.random_range(0..customers.len())];
        let (op, amount) = if rng.random_bool(plan.withdraw_ratio) {
            (Op::Withdraw, rng.random_range(1_000..=50_000))
        } else {
            (Op::Deposit, rng.random_range(1_000..=100_000))
        };
        let outcome = send(&api, op, customer, amount).await;
        let finished = Instant::now();
        // Counted in the measurement when it completes inside the window.
        let measured = finished >= plan.measure_from && finished < plan.stop_at;
        let counts = if measured { &mut stats.measured } else { &mut stats.unmeasured };
        match outcome {
            Outcome::Done if op == Op::Deposit => counts.deposits += 1,
            Outcome::Done => counts.withdraws += 1,
            Outcome::InsufficientFunds => counts.insufficient += 1,
            Outcome::Failed(message) => {
                stats.failures += 1;
                let mut shown = shown.lock().unwrap_or_else(|p| p.into_inner());
                if *shown < SHOWN_FAILURES {
                    *shown += 1;
                    eprintln!("failure: {message}");
                    if *shown == SHOWN_FAILURES {
                        eprintln!("(further failures are counted, not shown)");
                    }
                }
                continue;
            }
        }
        if measured {
            let micros = u64::try_from(finished.duration_since(started).as_micros()).unwrap_or(u64::MAX);
            stats.latency.saturating_record(micros.max(1));
        }
    }
}

/// Operations that completed (a transaction, or a refusal for lack of funds).
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    deposits: u64,
    withdraws: u64,
    insufficient: u64,
}

impl Counts {
    fn total(&self) -> u64 {
        self.deposits + self.withdraws + self.insufficient
    }

    fn add(&mut self, other: Counts) {
        self.deposits += other.deposits;
        self.withdraws += other.withdraws;
        self.insufficient += other.insufficient;
    }
}

/// What one client saw.
struct Stats {
    /// Completed inside the measurement window.
    measured: Counts,
    /// Completed during the warm-up or after the deadline.
    unmeasured: Counts,
    /// Over the whole run, warm-up included.
    failures: u64,
    /// Latency of measured operations, in microseconds.
    latency: Histogram<u64>,
}

impl Stats {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            measured: Counts::default(),
            unmeasured: Counts::default(),
            failures: 0,
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).context("creating a histogram")?,
        })
    }
}

/// Every client's stats, merged.
struct Report {
    seconds: f64,
    measured: Counts,
    unmeasured: Counts,
    failures: u64,
    latency: Histogram<u64>,
}

impl Report {
    fn new(seconds: f64) -> anyhow::Result<Self> {
        let Stats { measured, unmeasured, failures, latency } = Stats::new()?;
        Ok(Self { seconds, measured, unmeasured, failures, latency })
    }

    fn merge(&mut self, stats: Stats) -> anyhow::Result<()> {
        self.measured.add(stats.measured);
        self.unmeasured.add(stats.unmeasured);
        self.failures += stats.failures;
        self.latency.add(&stats.latency).context("merging histograms")?;
        Ok(())
    }

    /// Every operation the server completed, warm-up included.
    fn ok_ops(&self) -> u64 {
        self.measured.total() + self.unmeasured.total()
    }

    fn ms(&self, quantile: f64) -> f64 {
        if self.latency.is_empty() { 0.0 } else { self.latency.value_at_quantile(quantile) as f64 / 1000.0 }
    }

    fn print(&self) {
        let m = self.measured;
        let all = {
            let mut all = m;
            all.add(self.unmeasured);
            all
        };
        let ops_per_sec = m.total() as f64 / self.seconds;
        let (p50, p90, p99) = (self.ms(0.50), self.ms(0.90), self.ms(0.99));
        let max = self.latency.max() as f64 / 1000.0;
        println!("measured window: {:.0} s", self.seconds);
        println!("  ops                 {:>10}", m.total());
        println!("  ops/s               {ops_per_sec:>10.1}");
        println!("  latency ms          p50 {p50:.2}  p90 {p90:.2}  p99 {p99:.2}  max {max:.2}");
        println!("  deposits            {:>10}", m.deposits);
        println!("  withdraws           {:>10}", m.withdraws);
        println!("  insufficient funds  {:>10}", m.insufficient);
        println!("whole run (warm-up and tail included):");
        println!("  deposits            {:>10}", all.deposits);
        println!("  withdraws           {:>10}", all.withdraws);
        println!("  insufficient funds  {:>10}", all.insufficient);
        println!("  failures            {:>10}", self.failures);
        println!(
            "RESULT ops_per_sec={ops_per_sec:.1} p50_ms={p50:.2} p99_ms={p99:.2} failures={} p90_ms={p90:.2} \
             max_ms={max:.2} ops={} deposits={} withdraws={} insufficient={} all_deposits={} all_withdraws={} \
             all_insufficient={}",
            self.failures,
            m.total(),
            m.deposits,
            m.withdraws,
            m.insufficient,
            all.deposits,
            all.withdraws,
            all.insufficient,
        );
    }
}
