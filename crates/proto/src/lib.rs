//! Placeholder; see issue.
#![no_std]
