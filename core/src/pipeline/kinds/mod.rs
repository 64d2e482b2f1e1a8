//! One reader per input kind: it parses the input with its `source/` parser and adds what it holds to the intake.

pub(crate) mod capture;
pub(crate) mod corefile;
pub(crate) mod iptables_list;
pub(crate) mod iptables_save;
pub(crate) mod kubectl;
pub(crate) mod resolv_conf;
