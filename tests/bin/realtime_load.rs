//! `realtime-load`: a fan-out benchmark for the GraphQL subscriptions of a
//! running crm360 server (used by `scripts/bench-realtime.sh`).
//!
//! 1. Signs in over HTTP and creates two customers: a *probe* customer and
//!    the *measured* one.
//! 2. Opens `--subscribers` WebSockets on `/graphql/ws` (graphql-transport-ws),
//!    `--connect-concurrency` handshakes at a time, each subscribed to
//!    `walletEvents`. With `--server-pid` it reads the server's `VmRSS`
//!    before the first socket and after every subscription has been idle
//!    for `--idle-secs`: (after − before) / subscribed is the memory of one
//!    idle subscription.
//! 3. Deposits once on the probe customer and waits until every subscriber
//!    has received that event (so every subscription is live before the
//!    measurement; its delivery is reported apart and not measured).
//! 4. One publisher makes `--deposits` deposits on the measured customer,
//!    one at a time, at `--rate` per second (0: back to back).
//! 5. Every subscriber records, for each event of the measured customer,
//!    its receipt time minus the event's `at` (the server's timestamp of the
//!    change, taken just before the commit, on the same machine's clock).
//!    It waits until every live subscriber has every event, or `--drain-secs`
//!    after the last deposit.
//!
//! It prints a summary (latency percentiles, events delivered against
//! subscribers × deposits, delivery rate, failed and dropped connections,
//! memory, CPU time of the server and of this client), then one JSON line
//! (the only line starting with `{`).
//!
//! The exit status is 0 when every socket subscribed and stayed up, every
//! deposit succeeded and every event arrived; 2 when the run completed but
//! something was missing; 1 on an error that stopped the run.
//!
//! `--feed customer` subscribes to `customerEvents` and publishes with
//! `createCustomer` instead (no probe): it checks the tool against a server
//! without `walletEvents`.
//!
//! The client is meant to stay cheap next to the server on the same cores:
//! one task per socket on a current-thread runtime by default, a 4 KiB read
//! buffer per socket, and events are recognised by substring search (no
//! JSON tree per message) into latency vectors allocated up front.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How many failure messages are printed as they happen.
const SHOWN_FAILURES: u32 = 5;
/// Per-socket read buffer (tungstenite's default is 128 KiB).
const READ_BUFFER: usize = 4096;

/// Fan-out benchmark for crm360's GraphQL subscriptions.
#[derive(Debug, Parser)]
#[command(name = "realtime-load", about)]
struct Args {
    /// Base URL of the running server; `/graphql` and `/graphql/ws` are
    /// derived from it (a trailing `/graphql` is accepted).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Staff email to sign in with (a role that may deposit).
    #[arg(long)]
    email: String,
    /// Password of that staff member.
    #[arg(long)]
    password: String,
    /// WebSocket subscribers to open.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    subscribers: u32,
    /// Measured deposits (each one event to every subscriber).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    deposits: u32,
    /// Deposits per second, one at a time; 0 sends them back to back.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// WebSocket handshakes in flight at once while opening the sockets.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    connect_concurrency: u32,
    /// Give up on a socket that is not subscribed after this many seconds.
    #[arg(long, default_value_t = 30)]
    connect_timeout_secs: u64,
    /// The server's process id: its memory and CPU time are read from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Idle time after the last subscription before reading the server's memory.
    #[arg(long, default_value_t = 3)]
    idle_secs: u64,
    /// After the last deposit, how long to wait for events still missing.
    #[arg(long, default_value_t = 30)]
    drain_secs: u64,
    /// Worker threads of this client (1: a current-thread runtime).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    threads: u32,
    /// What to subscribe to and how to publish.
    #[arg(long, value_enum, default_value_t = Feed::Wallet)]
    feed: Feed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Feed {
    /// `walletEvents`, published by `deposit`.
    Wallet,
    /// `customerEvents`, published by `createCustomer`.
    Customer,
}

impl Feed {
    fn subscription(self) -> &'static str {
        match self {
            Feed::Wallet => "subscription { walletEvents { eventId type at customerId } }",
            Feed::Customer => "subscription { customerEvents { eventId kind at } }",
        }
    }

    /// The event type every measured event carries, as it appears in the JSON.
    fn kind_needle(self) -> &'static str {
        match self {
            Feed::Wallet => "\"wallet.deposited\"",
            Feed::Customer => "\"customer.created\"",
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = if args.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads as usize).enable_all().build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("realtime-load: building the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(report) => {
            report.print();
            if report.complete() { ExitCode::SUCCESS } else { ExitCode::from(2) }
        }
        Err(e) => {
            eprintln!("realtime-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Microseconds since the Unix epoch, now.
fn now_micros() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

// ---------------------------------------------------------------- HTTP side

/// The server, as one signed-in staff member.
struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Api {
    /// One GraphQL request; transport, HTTP and GraphQL errors are `Err`.
    async fn data(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
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
            bail!("GraphQL error {code}: {message}");
        }
        if !status.is_success() {
            bail!("HTTP {status}: {body}");
        }
        Ok(body.get("data").cloned().unwrap_or(Value::Null))
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

    async fn create_customer(&self, name: &str, phone: &str) -> anyhow::Result<String> {
        let query = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }";
        let data = self
            .data(query, json!({ "i": { "name": name, "phone": phone } }))
            .await
            .with_context(|| format!("creating the customer {name} ({phone})"))?;
        let id = data.pointer("/createCustomer/id").with_context(|| format!("no createCustomer.id in {data}"))?;
        Ok(id.as_str().map_or_else(|| id.to_string(), str::to_owned))
    }

    async fn deposit(&self, customer_id: &str) -> anyhow::Result<()> {
        let query = "mutation($i: DepositInput!) { deposit(input: $i) { transaction { code } } }";
        let data = self.data(query, json!({ "i": { "customerId": customer_id, "amount": "1000" } })).await?;
        if data.pointer("/deposit/transaction/code").and_then(Value::as_str).is_none() {
            bail!("no deposit.transaction.code in {data}");
        }
        Ok(())
    }
}

/// A Vietnamese mobile number unlikely to be taken: 090 and 7 digits.
fn phone(seed: u64, i: u64) -> String {
    format!("090{:07}", (seed + i) % 10_000_000)
}

// ----------------------------------------------------------- WebSocket side

/// What every subscriber shares.
struct Shared {
    host: String,
    addr: SocketAddr,
    feed: Feed,
    /// `{"type":"connection_init",…}` with the token.
    init: String,
    /// `{"id":"1","type":"subscribe",…}`.
    subscribe: String,
    /// `"customerId":"<id>"` of the measured and the probe customer
    /// (wallet feed only).
    measured_needle: Option<String>,
    probe_needle: Option<String>,
    /// Expected measured events per subscriber.
    expected: u32,
    connect_gate: Semaphore,
    connect_timeout: Duration,
    subscribed: AtomicU32,
    connect_failed: AtomicU32,
    dropped: AtomicU32,
    probes: AtomicU32,
    delivered: AtomicU64,
    /// Latest receipt of a measured event, µs since the epoch.
    last_receipt: AtomicU64,
    shown: AtomicU32,
}

impl Shared {
    fn show(&self, message: impl FnOnce() -> String) {
        let n = self.shown.fetch_add(1, Ordering::Relaxed);
        if n < SHOWN_FAILURES {
            eprintln!("failure: {}", message());
            if n + 1 == SHOWN_FAILURES {
                eprintln!("(further failures are counted, not shown)");
            }
        }
    }
}

/// How a subscriber ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Never subscribed (connect, handshake, ack or timeout).
    ConnectFailed,
    /// Subscribed, then the socket closed, failed, or the subscription ended.
    Dropped,
    /// Still up when the run stopped it.
    Stopped,
}

/// What one subscriber saw.
struct SubStats {
    end: End,
    /// commit → receipt of each measured event, in µs.
    latencies: Vec<u32>,
    /// Events of the measured customer beyond the expected count.
    extra: u32,
    /// Events recognised as neither measured nor probe.
    other: u32,
    /// Events whose `at` could not be read.
    unreadable: u32,
    /// Receipt before `at` (clocks: should never happen on one machine).
    negative: u32,
}

type Ws = WebSocketStream<TcpStream>;

/// Connects, authenticates, waits for the ack and subscribes.
async fn open(shared: &Shared) -> anyhow::Result<Ws> {
    let stream = TcpStream::connect(shared.addr).await.context("TCP connect")?;
    stream.set_nodelay(true).context("TCP_NODELAY")?;
    let mut req = format!("ws://{}/graphql/ws", shared.host).into_client_request().context("request")?;
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().context("header")?);
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (mut ws, _) =
        tokio_tungstenite::client_async_with_config(req, stream, Some(config)).await.context("WebSocket handshake")?;
    ws.send(Message::text(shared.init.as_str())).await.context("sending connection_init")?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                match v["type"].as_str() {
                    Some("connection_ack") => break,
                    Some("ping") => ws.send(Message::text(r#"{"type":"pong"}"#)).await.context("pong")?,
                    _ => bail!("expected connection_ack, got {}", t.as_str()),
                }
            }
            Some(Ok(Message::Close(frame))) => bail!("closed before connection_ack: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("before connection_ack: {e}"),
            None => bail!("closed before connection_ack"),
        }
    }
    ws.send(Message::text(shared.subscribe.as_str())).await.context("sending subscribe")?;
    Ok(ws)
}

/// The string value of `"key":"…"` in `text` (no escapes expected).
fn string_field<'a>(text: &'a str, key_needle: &str) -> Option<&'a str> {
    let start = text.find(key_needle)? + key_needle.len();
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

/// One socket: open it, then read until stopped.
async fn subscriber(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> SubStats {
    let mut stats = SubStats {
        end: End::ConnectFailed,
        latencies: Vec::with_capacity(shared.expected as usize),
        extra: 0,
        other: 0,
        unreadable: 0,
        negative: 0,
    };
    let opened = {
        let Ok(_permit) = shared.connect_gate.acquire().await else { return stats };
        tokio::time::timeout(shared.connect_timeout, open(&shared)).await
    };
    let mut ws = match opened {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            shared.connect_failed.fetch_add(1, Ordering::Relaxed);
            shared.show(|| format!("{e:#}"));
            return stats;
        }
        Err(_) => {
            shared.connect_failed.fetch_add(1, Ordering::Relaxed);
            shared.show(|| format!("not subscribed within {:?}", shared.connect_timeout));
            return stats;
        }
    };
    shared.subscribed.fetch_add(1, Ordering::Relaxed);
    let mut probed = false;
    let kind = shared.feed.kind_needle();
    loop {
        let msg = tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    stats.end = End::Stopped;
                    break;
                }
                continue;
            }
            msg = ws.next() => msg,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            // Ping frames are answered by tungstenite itself.
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(frame))) => {
                shared.show(|| format!("server closed a subscribed socket: {frame:?}"));
                stats.end = End::Dropped;
                break;
            }
            Some(Err(e)) => {
                shared.show(|| format!("a subscribed socket failed: {e}"));
                stats.end = End::Dropped;
                break;
            }
            None => {
                shared.show(|| "a subscribed socket ended".to_owned());
                stats.end = End::Dropped;
                break;
            }
        };
        let received = now_micros();
        let t = text.as_str();
        // Fast path: an event (`next` with data and no errors).
        if t.contains(r#""type":"next""#) && !t.contains(r#""errors""#) {
            if !t.contains(kind) {
                stats.other += 1;
                continue;
            }
            if let (Some(measured), Some(probe)) = (&shared.measured_needle, &shared.probe_needle)
                && !t.contains(measured.as_str())
            {
                if !probed && t.contains(probe.as_str()) {
                    probed = true;
                    shared.probes.fetch_add(1, Ordering::Relaxed);
                } else {
                    stats.other += 1;
                }
                continue;
            }
            if stats.latencies.len() >= shared.expected as usize {
                stats.extra += 1;
                continue;
            }
            let Some(at) = string_field(t, r#""at":""#)
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .and_then(|d| u64::try_from(d.timestamp_micros()).ok())
            else {
                stats.unreadable += 1;
                continue;
            };
            let latency = if received >= at {
                received - at
            } else {
                stats.negative += 1;
                0
            };
            stats.latencies.push(u32::try_from(latency).unwrap_or(u32::MAX));
            shared.delivered.fetch_add(1, Ordering::Relaxed);
            shared.last_receipt.fetch_max(received, Ordering::Relaxed);
            continue;
        }
        let v: Value = serde_json::from_str(t).unwrap_or(Value::Null);
        match v["type"].as_str() {
            Some("ping") => {
                if let Err(e) = ws.send(Message::text(r#"{"type":"pong"}"#)).await {
                    shared.show(|| format!("answering a ping: {e}"));
                    stats.end = End::Dropped;
                    break;
                }
            }
            Some("pong") => {}
            Some("complete") => {
                shared.show(|| "the server completed a subscription".to_owned());
                stats.end = End::Dropped;
                break;
            }
            _ => {
                shared.show(|| format!("unexpected message: {}", t.chars().take(300).collect::<String>()));
                if v["type"] == "error" {
                    stats.end = End::Dropped;
                    break;
                }
                stats.other += 1;
            }
        }
    }
    if stats.end == End::Dropped {
        shared.dropped.fetch_add(1, Ordering::Relaxed);
    }
    stats
}

// ------------------------------------------------------------------- /proc

/// A process's resident memory in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS in /proc/{pid}/status"))
}

/// A process's CPU time (user + system, every thread), in seconds.
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux target this runs on.
    Some((utime + stime) / 100.0)
}

#[derive(Debug, Clone, Copy)]
struct CpuMark {
    at: Instant,
    server: Option<f64>,
    client: Option<f64>,
}

impl CpuMark {
    fn now(server_pid: Option<u32>) -> Self {
        Self { at: Instant::now(), server: server_pid.and_then(|p| cpu_secs(&p.to_string())), client: cpu_secs("self") }
    }

    /// Percent of one core used by the server and by this client since `self`.
    fn usage(&self, later: &CpuMark) -> (Option<f64>, Option<f64>) {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let pct = |a: Option<f64>, b: Option<f64>| Some(100.0 * (b? - a?) / wall);
        (pct(self.server, later.server), pct(self.client, later.client))
    }
}

// --------------------------------------------------------------------- run

async fn run(args: Args) -> anyhow::Result<Report> {
    let base = args.url.trim_end_matches('/').trim_end_matches("/graphql").to_owned();
    let host = base
        .strip_prefix("http://")
        .context("--url must be http://HOST:PORT (no TLS in this tool)")?
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let addr = tokio::net::lookup_host(&host)
        .await
        .with_context(|| format!("resolving {host}"))?
        .next()
        .with_context(|| format!("{host} resolves to nothing"))?;
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(60))
        .build()
        .context("building the HTTP client")?;
    let api = Api { http, url: format!("{base}/graphql"), token: String::new() };
    let token = api.login(&args.email, &args.password).await?;
    let api = Api { token, ..api };

    let seed = now_micros() % 10_000_000;
    let (probe_id, measured_id) = match args.feed {
        Feed::Wallet => {
            let probe = api.create_customer("Realtime probe", &phone(seed, 0)).await?;
            let measured = api.create_customer("Realtime measured", &phone(seed, 1)).await?;
            (Some(probe), Some(measured))
        }
        Feed::Customer => (None, None),
    };
    let n = args.subscribers;
    let m = args.deposits;
    let publishing = match args.feed {
        Feed::Wallet => "deposits",
        Feed::Customer => "createCustomer calls",
    };
    println!(
        "realtime-load: {n} subscribers to {} on ws://{host}/graphql/ws, {m} {publishing} at {}",
        args.feed.subscription(),
        if args.rate > 0.0 { format!("{}/s", args.rate) } else { "full speed (one at a time)".to_owned() },
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = args.server_pid.map(rss_kib).transpose()?;

    let shared = Arc::new(Shared {
        host: host.clone(),
        addr,
        feed: args.feed,
        init: json!({ "type": "connection_init", "payload": { "token": api.token } }).to_string(),
        subscribe: json!({ "id": "1", "type": "subscribe", "payload": { "query": args.feed.subscription() } })
            .to_string(),
        measured_needle: measured_id.as_ref().map(|id| format!(r#""customerId":"{id}""#)),
        probe_needle: probe_id.as_ref().map(|id| format!(r#""customerId":"{id}""#)),
        expected: m,
        connect_gate: Semaphore::new(args.connect_concurrency as usize),
        connect_timeout: Duration::from_secs(args.connect_timeout_secs),
        subscribed: AtomicU32::new(0),
        connect_failed: AtomicU32::new(0),
        dropped: AtomicU32::new(0),
        probes: AtomicU32::new(0),
        delivered: AtomicU64::new(0),
        last_receipt: AtomicU64::new(0),
        shown: AtomicU32::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);

    // 1. Open the sockets.
    let connect_started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        tasks.spawn(subscriber(shared.clone(), stop_rx.clone()));
    }
    let mut last_print = Instant::now();
    loop {
        let (ok, failed) = (shared.subscribed.load(Ordering::Relaxed), shared.connect_failed.load(Ordering::Relaxed));
        if ok + failed >= n {
            break;
        }
        if last_print.elapsed() >= Duration::from_secs(5) {
            println!("  … {ok} subscribed, {failed} failed after {:.1} s", connect_started.elapsed().as_secs_f64());
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    let subscribed = shared.subscribed.load(Ordering::Relaxed);
    println!(
        "opened: {subscribed} subscribed, {} failed, in {connect_secs:.2} s ({:.0} sockets/s)",
        shared.connect_failed.load(Ordering::Relaxed),
        f64::from(subscribed) / connect_secs.max(1e-9)
    );
    if subscribed == 0 {
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
        bail!("no subscriber could subscribe");
    }

    // 2. Idle, then the server's memory.
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let rss_after = args.server_pid.map(rss_kib).transpose()?;

    // 3. Probe: every subscription delivers before the measurement starts.
    let mut probe_ms = None;
    let mut probed = None;
    if let Some(probe) = &probe_id {
        let started = Instant::now();
        api.deposit(probe).await.context("the probe deposit")?;
        let deadline = started + Duration::from_secs(args.drain_secs);
        while shared.probes.load(Ordering::Relaxed) < subscribed && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let got = shared.probes.load(Ordering::Relaxed);
        probe_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        probed = Some(got);
        println!(
            "probe event: reached {got} of {subscribed} subscribers {:.0} ms after the deposit was sent",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }

    // 4. Publish.
    let cpu_start = CpuMark::now(args.server_pid);
    let publish_started = Instant::now();
    let publish_started_us = now_micros();
    let mut publish_latency = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).context("histogram")?;
    let mut publish_failures = 0u32;
    let interval = (args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / args.rate));
    for i in 0..m {
        if let Some(interval) = interval {
            let due = publish_started + interval * i;
            tokio::time::sleep_until(due.into()).await;
        }
        let sent = Instant::now();
        let result = match (&measured_id, args.feed) {
            (Some(id), _) => api.deposit(id).await,
            (None, _) => {
                api.create_customer(&format!("Realtime {i}"), &phone(seed, 2 + u64::from(i))).await.map(|_| ())
            }
        };
        match result {
            Ok(()) => {
                let us = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                publish_latency.saturating_record(us.max(1));
            }
            Err(e) => {
                publish_failures += 1;
                shared.show(|| format!("publishing #{i}: {e:#}"));
            }
        }
    }
    let publish_secs = publish_started.elapsed().as_secs_f64();
    let published = m - publish_failures;

    // 5. Drain: every live subscriber has every event, or the deadline.
    let drain_deadline = Instant::now() + Duration::from_secs(args.drain_secs);
    loop {
        let live = u64::from(subscribed - shared.dropped.load(Ordering::Relaxed));
        if shared.delivered.load(Ordering::Relaxed) >= live * u64::from(published) || Instant::now() >= drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu_end = CpuMark::now(args.server_pid);
    let _ = stop_tx.send(true);

    let mut report = Report {
        subscribers: n,
        deposits: m,
        rate: args.rate,
        feed: args.feed,
        threads: args.threads,
        subscribed,
        connect_failed: 0,
        dropped: 0,
        connect_secs,
        rss_before,
        rss_after,
        probe_ms,
        probed,
        published,
        publish_failures,
        publish_secs,
        publish_latency,
        latency: Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).context("histogram")?,
        delivered: 0,
        last_receipt_of: vec![0; m as usize],
        short_subscribers: 0,
        extra: 0,
        other: 0,
        unreadable: 0,
        negative: 0,
        delivery_secs: 0.0,
        cpu: cpu_start.usage(&cpu_end),
        cpu_secs: cpu_end.at.duration_since(cpu_start.at).as_secs_f64(),
    };
    while let Some(stats) = tasks.join_next().await {
        let stats = stats.context("a subscriber task panicked")?;
        match stats.end {
            End::ConnectFailed => report.connect_failed += 1,
            End::Dropped => report.dropped += 1,
            End::Stopped => {}
        }
        if stats.end != End::ConnectFailed && stats.latencies.len() < m as usize {
            report.short_subscribers += 1;
        }
        for &us in &stats.latencies {
            report.latency.saturating_record(u64::from(us).max(1));
        }
        for (k, &us) in stats.latencies.iter().enumerate() {
            report.last_receipt_of[k] = report.last_receipt_of[k].max(us);
        }
        report.delivered += stats.latencies.len() as u64;
        report.extra += u64::from(stats.extra);
        report.other += u64::from(stats.other);
        report.unreadable += u64::from(stats.unreadable);
        report.negative += u64::from(stats.negative);
    }
    let last = shared.last_receipt.load(Ordering::Relaxed);
    report.delivery_secs = last.saturating_sub(publish_started_us) as f64 / 1e6;
    Ok(report)
}

// ------------------------------------------------------------------ report

struct Report {
    subscribers: u32,
    deposits: u32,
    rate: f64,
    feed: Feed,
    threads: u32,
    subscribed: u32,
    connect_failed: u32,
    dropped: u32,
    connect_secs: f64,
    rss_before: Option<u64>,
    rss_after: Option<u64>,
    probe_ms: Option<f64>,
    probed: Option<u32>,
    published: u32,
    publish_failures: u32,
    publish_secs: f64,
    /// HTTP round trip of each publishing mutation, µs.
    publish_latency: Histogram<u64>,
    /// commit → receipt, µs.
    latency: Histogram<u64>,
    delivered: u64,
    /// For the k-th measured event, commit → receipt by the last subscriber
    /// that got it, µs (every subscriber receives the events in order).
    last_receipt_of: Vec<u32>,
    /// Subscribed sockets that did not receive every event.
    short_subscribers: u32,
    extra: u64,
    other: u64,
    unreadable: u64,
    negative: u64,
    /// First deposit sent → last event received.
    delivery_secs: f64,
    /// Server and client CPU, percent of one core, over publish + drain.
    cpu: (Option<f64>, Option<f64>),
    cpu_secs: f64,
}

fn ms(h: &Histogram<u64>, quantile: f64) -> f64 {
    if h.is_empty() { 0.0 } else { h.value_at_quantile(quantile) as f64 / 1000.0 }
}

fn max_ms(h: &Histogram<u64>) -> f64 {
    if h.is_empty() { 0.0 } else { h.max() as f64 / 1000.0 }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

impl Report {
    fn expected(&self) -> u64 {
        u64::from(self.subscribers) * u64::from(self.deposits)
    }

    fn complete(&self) -> bool {
        self.connect_failed == 0 && self.dropped == 0 && self.publish_failures == 0 && self.delivered == self.expected()
    }

    fn kib_per_subscription(&self) -> Option<f64> {
        let (before, after) = (self.rss_before?, self.rss_after?);
        (self.subscribed > 0).then(|| (after as f64 - before as f64) / f64::from(self.subscribed))
    }

    fn events_per_sec(&self) -> f64 {
        if self.delivery_secs > 0.0 { self.delivered as f64 / self.delivery_secs } else { 0.0 }
    }

    /// Per event: commit → receipt by its last subscriber.
    fn fan_out(&self) -> anyhow::Result<Histogram<u64>> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).context("histogram")?;
        for &us in self.last_receipt_of.iter().filter(|&&us| us > 0) {
            h.saturating_record(u64::from(us));
        }
        Ok(h)
    }

    fn print(&self) {
        let l = &self.latency;
        let f = self.fan_out().unwrap_or_else(|_| Histogram::new(3).expect("a default histogram"));
        let (p50, p90, p99, max) = (ms(l, 0.50), ms(l, 0.90), ms(l, 0.99), max_ms(l));
        let p = &self.publish_latency;
        let expected = self.expected();
        let delivered_pct = if expected > 0 { 100.0 * self.delivered as f64 / expected as f64 } else { 0.0 };
        let publish_rate = f64::from(self.published) / self.publish_secs.max(1e-9);
        let kib = self.kib_per_subscription();
        println!("subscribers");
        println!("  requested           {:>10}", self.subscribers);
        println!("  subscribed          {:>10}   ({:.2} s to open)", self.subscribed, self.connect_secs);
        println!("  failed to connect   {:>10}", self.connect_failed);
        println!("  dropped afterwards  {:>10}", self.dropped);
        println!("server memory (VmRSS)");
        println!(
            "  before / after      {:>10} / {} KiB   => {} KiB per idle subscription",
            self.rss_before.map_or_else(|| "-".to_owned(), |v| v.to_string()),
            self.rss_after.map_or_else(|| "-".to_owned(), |v| v.to_string()),
            opt(kib, 1)
        );
        if let (Some(ms), Some(got)) = (self.probe_ms, self.probed) {
            println!("probe (not measured)  reached {got} of {} subscribers in {ms:.0} ms", self.subscribed);
        }
        println!("publisher");
        println!(
            "  published           {:>10}   of {}, {} failed, {publish_rate:.1}/s (target {})",
            self.published,
            self.deposits,
            self.publish_failures,
            if self.rate > 0.0 { format!("{}/s", self.rate) } else { "full speed".to_owned() }
        );
        println!("  HTTP round trip ms  p50 {:.2}  p99 {:.2}  max {:.2}", ms(p, 0.50), ms(p, 0.99), max_ms(p));
        println!("delivery (commit -> receipt)");
        println!("  events delivered    {:>10}   of {expected} expected ({delivered_pct:.2} %)", self.delivered);
        println!("  subscribers short   {:>10}", self.short_subscribers);
        println!("  events/s delivered  {:>10.0}   over {:.2} s", self.events_per_sec(), self.delivery_secs);
        println!("  latency ms          p50 {p50:.2}  p90 {p90:.2}  p99 {p99:.2}  max {max:.2}");
        println!(
            "  to every subscriber p50 {:.2}  p99 {:.2}  max {:.2}   (per event, ms until its last receipt)",
            ms(&f, 0.50),
            ms(&f, 0.99),
            max_ms(&f)
        );
        if self.extra + self.other + self.unreadable + self.negative > 0 {
            println!(
                "  anomalies           {} extra, {} other, {} unreadable `at`, {} before `at`",
                self.extra, self.other, self.unreadable, self.negative
            );
        }
        println!(
            "cpu over publish + drain ({:.1} s), % of one core: server {}, client {} ({} thread{})",
            self.cpu_secs,
            opt(self.cpu.0, 0),
            opt(self.cpu.1, 0),
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        );
        let line = json!({
            "feed": match self.feed { Feed::Wallet => "walletEvents", Feed::Customer => "customerEvents" },
            "subscribers": self.subscribers,
            "subscribed": self.subscribed,
            "connect_failed": self.connect_failed,
            "dropped": self.dropped,
            "connect_secs": round(self.connect_secs, 3),
            "server_rss_before_kib": self.rss_before,
            "server_rss_after_kib": self.rss_after,
            "kib_per_subscription": kib.map(|v| round(v, 2)),
            "probe_ms": self.probe_ms.map(|v| round(v, 1)),
            "probe_reached": self.probed,
            "deposits": self.deposits,
            "published": self.published,
            "publish_failures": self.publish_failures,
            "rate_target": self.rate,
            "rate_achieved": round(publish_rate, 2),
            "publish_p50_ms": round(ms(p, 0.50), 2),
            "publish_p99_ms": round(ms(p, 0.99), 2),
            "expected_events": expected,
            "delivered_events": self.delivered,
            "short_subscribers": self.short_subscribers,
            "extra_events": self.extra,
            "other_events": self.other,
            "events_per_sec": round(self.events_per_sec(), 1),
            "delivery_secs": round(self.delivery_secs, 3),
            "p50_ms": round(p50, 2),
            "p90_ms": round(p90, 2),
            "p99_ms": round(p99, 2),
            "max_ms": round(max, 2),
            "fan_out_p50_ms": round(ms(&f, 0.50), 2),
            "fan_out_p99_ms": round(ms(&f, 0.99), 2),
            "fan_out_max_ms": round(max_ms(&f), 2),
            "server_cpu_pct": self.cpu.0.map(|v| round(v, 1)),
            "client_cpu_pct": self.cpu.1.map(|v| round(v, 1)),
            "client_threads": self.threads,
            "complete": self.complete(),
        });
        println!("{line}");
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}
