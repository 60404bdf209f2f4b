//! Rate limits and login throttling, held in Redis when `REDIS_URL` is set
//! (so that they hold across instances) and in this process otherwise.
//!
//! - **Request limits** are GCRA (the generic cell rate algorithm, a token
//!   bucket kept as one timestamp per key): a key may spend `burst`
//!   operations at once, then one every `60 / per_minute` seconds. Several
//!   keys (the client IP and the API key or user) are checked and charged
//!   together, atomically: a refused request costs nothing. On Redis it is
//!   one Lua script call per request.
//! - **Login throttling** counts failed logins per email and per IP: after
//!   `login_delay_after_failures` failures each attempt waits 1 s, 2 s,
//!   4 s, … after the previous failure; after `login_lockout_after_failures`
//!   the email is locked for `login_lockout_seconds` (an IP after
//!   `login_ip_lockout_after_failures`). Failures are forgotten
//!   `login_lockout_seconds` after the last one; a successful login clears
//!   the email's count.
//!
//! Time is the application's clock (tests move it instead of sleeping;
//! instances are expected to be NTP-synchronised). When Redis fails, the
//! limits let the request through and log the error: a Redis outage must
//! not take the API down with it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The caller's IP address, as the HTTP edge decided it (see
/// [`crate::config::Config::trusted_proxies`]); in the GraphQL request data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// An IP network (`10.0.0.0/8`, `::1`, `192.168.1.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses an address or a CIDR; `None` when it is neither.
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> (u128, u32) {
            match ip {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => (u128::from(u32::from(v4)) << 96, 32),
                    None => (u128::from(v6), 128),
                },
            }
        }
        let (net, net_len) = bits(self.addr);
        let (ip, ip_len) = bits(ip);
        if net_len != ip_len {
            return false;
        }
        let prefix = u32::from(self.prefix);
        let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
        net & mask == ip & mask
    }
}

/// A limit: `per_minute` operations a minute, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    /// `None` when the limit is off (`per_minute` 0).
    pub fn new(per_minute: u32, burst: u32) -> Option<Self> {
        (per_minute > 0).then_some(Self { per_minute, burst: burst.max(1) })
    }

    /// Milliseconds between two operations at the steady rate.
    fn interval_ms(&self) -> i64 {
        (60_000 / i64::from(self.per_minute)).max(1)
    }
}

/// Who a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Ip(IpAddr),
    User(i64),
    ApiKey(i64),
}

impl Subject {
    fn key(&self) -> String {
        match self {
            Self::Ip(ip) => format!("ip:{ip}"),
            Self::User(id) => format!("user:{id}"),
            Self::ApiKey(id) => format!("key:{id}"),
        }
    }

    /// The metric label of the limit.
    pub fn scope(&self) -> &'static str {
        match self {
            Self::Ip(_) => "ip",
            Self::User(_) => "user",
            Self::ApiKey(_) => "api_key",
        }
    }
}

/// Refused: retry after this many seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub seconds: u64,
    /// The limit that refused.
    pub scope: &'static str,
}

impl RetryAfter {
    fn from_ms(ms: i64, scope: &'static str) -> Self {
        Self { seconds: (ms.max(1) as u64).div_ceil(1000), scope }
    }
}

/// Login throttling settings (see the module docs).
#[derive(Debug, Clone, Copy)]
struct LoginPolicy {
    delay_after: u32,
    lockout_after: u32,
    lockout_ms: i64,
}

impl LoginPolicy {
    /// How long after the last of `failures` the next attempt may come, in ms.
    fn wait_ms(&self, failures: u32) -> i64 {
        if self.lockout_after > 0 && failures >= self.lockout_after {
            return self.lockout_ms;
        }
        if self.delay_after > 0 && failures >= self.delay_after {
            let exp = (failures - self.delay_after).min(30);
            return (1000i64 << exp).min(self.lockout_ms);
        }
        0
    }
}

/// Rate limits and login throttling of this deployment; cheap to clone.
#[derive(Clone)]
pub struct Limits {
    ip: Option<Rate>,
    user: Option<Rate>,
    api_key: Option<Rate>,
    email_policy: LoginPolicy,
    ip_policy: LoginPolicy,
    store: Store,
    prefix: Arc<str>,
}

#[derive(Clone)]
enum Store {
    Memory(Arc<Memory>),
    Redis(redis::aio::ConnectionManager),
}

#[derive(Default)]
struct Memory {
    /// Theoretical arrival time (ms) per request-limit key.
    tats: Mutex<HashMap<String, i64>>,
    /// (failures, last failure in ms) per login key.
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

/// Keys a map may hold before expired entries are swept out.
const SWEEP_AT: usize = 10_000;

const GCRA: &str = r"
-- KEYS: one per limit; ARGV: now_ms, then interval_ms, burst and cost per
-- key. Returns {0, 0} when charged, else {wait_ms, index of the key}.
local now = tonumber(ARGV[1])
local wait, which = 0, 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[3 * i - 1])
  local burst = tonumber(ARGV[3 * i])
  local cost = tonumber(ARGV[3 * i + 1])
  local tat = tonumber(redis.call('GET', key) or now) or now
  if tat < now then tat = now end
  local new_tat = tat + cost * interval
  local allow_at = new_tat - burst * interval
  if allow_at - now > wait then wait, which = allow_at - now, i end
  tats[i] = new_tat
end
if wait > 0 then return {wait, which} end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tats[i], 'PX', math.max(1, tats[i] - now))
end
return {0, 0}
";

const LOGIN_FAILED: &str = r"
-- KEYS[1]: the counter; ARGV: now_ms, window_ms. Returns the failures.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'n', 'last')
local n = tonumber(v[1] or '0') or 0
local last = tonumber(v[2] or '0') or 0
if now - last >= window then n = 0 end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n, 'last', now)
redis.call('PEXPIRE', KEYS[1], window)
return n
";

impl Limits {
    /// The limits `config` describes, on Redis when it names one.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let store = match &config.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str()).context("parsing REDIS_URL")?;
                let conn = client.get_connection_manager().await.context("connecting to Redis for the rate limits")?;
                Store::Redis(conn)
            }
            None => Store::Memory(Default::default()),
        };
        Ok(Self::with_store(config, store))
    }

    /// In-process limits only (no Redis), whatever `config` says.
    pub fn in_memory(config: &Config) -> Self {
        Self::with_store(config, Store::Memory(Default::default()))
    }

    fn with_store(config: &Config, store: Store) -> Self {
        let lockout_ms = (config.login_lockout_seconds.max(1) as i64).saturating_mul(1000);
        Self {
            ip: Rate::new(config.rate_limit_ip_per_minute, config.rate_limit_ip_burst),
            user: Rate::new(config.rate_limit_user_per_minute, config.rate_limit_user_burst),
            api_key: Rate::new(config.rate_limit_api_key_per_minute, config.rate_limit_api_key_burst),
            email_policy: LoginPolicy {
                delay_after: config.login_delay_after_failures,
                lockout_after: config.login_lockout_after_failures,
                lockout_ms,
            },
            ip_policy: LoginPolicy {
                delay_after: 0,
                lockout_after: config.login_ip_lockout_after_failures,
                lockout_ms,
            },
            store,
            prefix: config.redis_prefix.as_str().into(),
        }
    }

    /// The Redis connection, when the limits live there (the APQ store
    /// shares it).
    pub fn redis(&self) -> Option<redis::aio::ConnectionManager> {
        match &self.store {
            Store::Redis(conn) => Some(conn.clone()),
            Store::Memory(_) => None,
        }
    }

    /// `suffix` under this deployment's Redis prefix.
    pub fn redis_key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    fn rate_of(&self, subject: &Subject) -> Option<Rate> {
        match subject {
            Subject::Ip(_) => self.ip,
            Subject::User(_) => self.user,
            Subject::ApiKey(_) => self.api_key,
        }
    }

    /// Charges `cost` operations to every subject at once, or refuses
    /// (charging nothing) with the longest wait among them.
    pub async fn check(&self, subjects: &[Subject], cost: u32, now: DateTime<Utc>) -> Result<(), RetryAfter> {
        let limits: Vec<(String, Rate, &'static str)> = subjects
            .iter()
            .filter_map(|s| self.rate_of(s).map(|r| (self.redis_key(&format!("rl:{}", s.key())), r, s.scope())))
            .collect();
        if limits.is_empty() {
            return Ok(());
        }
        let now = now.timestamp_millis();
        // A batch larger than the burst could never pass: it costs the burst.
        let cost_of = |r: &Rate| i64::from(cost.clamp(1, r.burst));
        match &self.store {
            Store::Memory(mem) => {
                let mut tats = mem.tats.lock().unwrap_or_else(|e| e.into_inner());
                let mut refused: Option<RetryAfter> = None;
                let mut next = Vec::with_capacity(limits.len());
                for (key, rate, scope) in &limits {
                    let tat = tats.get(key).copied().unwrap_or(now).max(now);
                    let new_tat = tat + cost_of(rate) * rate.interval_ms();
                    let wait = new_tat - i64::from(rate.burst) * rate.interval_ms() - now;
                    if wait > 0 && refused.is_none_or(|r| r.seconds * 1000 < wait as u64) {
                        refused = Some(RetryAfter::from_ms(wait, scope));
                    }
                    next.push((key.clone(), new_tat));
                }
                if let Some(r) = refused {
                    return Err(r);
                }
                if tats.len() > SWEEP_AT {
                    tats.retain(|_, tat| *tat > now);
                }
                tats.extend(next);
                Ok(())
            }
            Store::Redis(conn) => {
                let script = redis::Script::new(GCRA);
                let mut call = script.prepare_invoke();
                call.arg(now);
                for (key, rate, _) in &limits {
                    call.key(key).arg(rate.interval_ms()).arg(i64::from(rate.burst)).arg(cost_of(rate));
                }
                match call.invoke_async::<(i64, usize)>(&mut conn.clone()).await {
                    Ok((wait, which)) if wait > 0 => {
                        let scope = limits.get(which.saturating_sub(1)).map(|l| l.2).unwrap_or("ip");
                        Err(RetryAfter::from_ms(wait, scope))
                    }
                    Ok(_) => Ok(()),
                    Err(e) => {
                        redis_failed("rate limit", &e);
                        Ok(())
                    }
                }
            }
        }
    }

    fn login_keys(&self, email: &str, ip: Option<IpAddr>) -> Vec<(String, LoginPolicy)> {
        // The email is hashed: no PII in Redis keys.
        let email_key = hex::encode(Sha256::digest(email.trim().to_lowercase().as_bytes()));
        let mut keys = vec![(self.redis_key(&format!("login:email:{email_key}")), self.email_policy)];
        if let Some(ip) = ip {
            keys.push((self.redis_key(&format!("login:ip:{ip}")), self.ip_policy));
        }
        keys
    }

    /// `Err` when a login for `email` from `ip` must wait (or is locked out).
    pub async fn login_allowed(&self, email: &str, ip: Option<IpAddr>, now: DateTime<Utc>) -> Result<(), u64> {
        let now = now.timestamp_millis();
        let mut wait = 0i64;
        for (key, policy) in self.login_keys(email, ip) {
            let (failures, last) = self.failures(&key).await;
            if failures == 0 || now - last >= policy.lockout_ms {
                continue;
            }
            wait = wait.max(last + policy.wait_ms(failures) - now);
        }
        if wait > 0 { Err((wait as u64).div_ceil(1000)) } else { Ok(()) }
    }

    async fn failures(&self, key: &str) -> (u32, i64) {
        match &self.store {
            Store::Memory(mem) => {
                mem.failures.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied().unwrap_or((0, 0))
            }
            Store::Redis(conn) => {
                let got: redis::RedisResult<(Option<u32>, Option<i64>)> =
                    redis::cmd("HMGET").arg(key).arg("n").arg("last").query_async(&mut conn.clone()).await;
                match got {
                    Ok((n, last)) => (n.unwrap_or(0), last.unwrap_or(0)),
                    Err(e) => {
                        redis_failed("login throttle", &e);
                        (0, 0)
                    }
                }
            }
        }
    }

    /// Records a failed login; returns whether this failure locked the
    /// email (`.0`) or the IP (`.1`) out.
    pub async fn login_failed(&self, email: &str, ip: Option<IpAddr>, now: DateTime<Utc>) -> (bool, bool) {
        let now = now.timestamp_millis();
        let mut locked = [false, false];
        for (i, (key, policy)) in self.login_keys(email, ip).into_iter().enumerate() {
            let failures = match &self.store {
                Store::Memory(mem) => {
                    let mut map = mem.failures.lock().unwrap_or_else(|e| e.into_inner());
                    if map.len() > SWEEP_AT {
                        map.retain(|_, (_, last)| now - *last < policy.lockout_ms);
                    }
                    let entry = map.entry(key).or_insert((0, 0));
                    if now - entry.1 >= policy.lockout_ms {
                        entry.0 = 0;
                    }
                    *entry = (entry.0 + 1, now);
                    entry.0
                }
                Store::Redis(conn) => {
                    let script = redis::Script::new(LOGIN_FAILED);
                    let got = script.key(&key).arg(now).arg(policy.lockout_ms).invoke_async(&mut conn.clone()).await;
                    match got {
                        Ok(n) => n,
                        Err(e) => {
                            redis_failed("login throttle", &e);
                            0
                        }
                    }
                }
            };
            locked[i] = policy.lockout_after > 0 && failures == policy.lockout_after;
        }
        (locked[0], locked[1])
    }

    /// Forgets the failed logins of `email` (after a successful login).
    pub async fn login_succeeded(&self, email: &str) {
        let Some((key, _)) = self.login_keys(email, None).into_iter().next() else { return };
        match &self.store {
            Store::Memory(mem) => {
                mem.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            }
            Store::Redis(conn) => {
                let done: redis::RedisResult<i64> = redis::cmd("DEL").arg(&key).query_async(&mut conn.clone()).await;
                if let Err(e) = done {
                    redis_failed("login throttle", &e);
                }
            }
        }
    }
}

fn redis_failed(what: &str, e: &redis::RedisError) {
    metrics::counter!("crm360_ratelimit_errors_total").increment(1);
    tracing::error!(error = %e, "{what}: Redis failed; letting the request through");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_their_addresses() {
        let net = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.9.9.9".parse().unwrap()));
        assert!(IpNet::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(IpNet::parse("nope").is_none());
    }

    #[test]
    fn the_wait_grows_then_locks() {
        let p = LoginPolicy { delay_after: 3, lockout_after: 10, lockout_ms: 900_000 };
        let waits: Vec<i64> = (0..=10).map(|f| p.wait_ms(f)).collect();
        assert_eq!(waits, [0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 900_000]);
    }

    #[tokio::test]
    async fn a_burst_passes_then_the_steady_rate() {
        let config = Config {
            rate_limit_ip_per_minute: 60,
            rate_limit_ip_burst: 3,
            rate_limit_user_per_minute: 0,
            ..Config::default()
        };
        let limits = Limits::in_memory(&config);
        let ip = Subject::Ip("1.2.3.4".parse().unwrap());
        let t0 = Utc::now();
        for _ in 0..3 {
            limits.check(&[ip], 1, t0).await.unwrap();
        }
        let refused = limits.check(&[ip], 1, t0).await.unwrap_err();
        assert_eq!((refused.seconds, refused.scope), (1, "ip"));
        limits.check(&[ip], 1, t0 + chrono::Duration::seconds(1)).await.unwrap();
        // A user limit that is off never refuses.
        limits.check(&[Subject::User(1)], 1, t0).await.unwrap();
    }
}
