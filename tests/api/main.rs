//! Black-box tests of crm360: each test starts the real server and talks
//! GraphQL over HTTP and WebSocket, once on SQLite (`sqlite::…`) and once
//! on PostgreSQL (`postgres::…`).

mod helpers;

mod audit;
mod auth;
mod backup;
mod bank;
mod call_tasks;
mod campaigns;
mod customers;
mod dashboard;
mod engagement;
mod exports;
mod fraud;
mod graphql_limits;
mod imports;
mod interop;
mod jobs;
mod merge;
mod ops;
mod orders;
mod persisted;
mod ratelimits;
mod realtime;
mod rfm;
mod tickets;
mod wallets;
mod webhooks;
