//! All integration tests, compiled into one binary (one link instead of one per file).

mod architecture;
mod aws;
mod bad_cases;
mod bad_input;
mod browser;
mod demo;
mod discover;
mod golden;
mod history;
mod interrupt;
mod kafka;
mod kafka_acls;
mod kafka_failed_dir;
mod kafka_lag;
mod model;
mod msk_iam;
mod prices;
mod properties;
mod queries;
mod support;
mod trino;
