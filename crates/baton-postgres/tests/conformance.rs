//! The store conformance suite on PostgreSQL: a fresh schema per test in the
//! database at `BATON_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). Without a reachable server
//! every test fails, loudly.

mod common;

use common::fresh_store;

baton_store::conformance_tests!(fresh_store);
