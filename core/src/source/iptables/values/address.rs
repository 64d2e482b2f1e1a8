//! Addresses and prefixes as iptables reads them (`addr[/prefix|/netmask]`, comma lists), and whether an address
//! is in one.
//!
//! Kept by hand rather than `ipnet`: iptables takes a netmask that is not contiguous (`10.0.0.0/255.0.255.0`),
//! which `ipnet` cannot hold, and says which part of a value is wrong; on plain prefixes `ipnet` was no faster
//! (docs/decisions/0004-ipnet.md).

use std::net::IpAddr;

use super::{items, shown, small_number, split_at_byte, Family, Invalid};

/// An IPv4 or IPv6 address. Dotted quads, what dumps are made of, are read by hand in one pass (decimal octets
/// without leading zeros, as `Ipv4Addr::from_str` takes them); anything else, and anything odd, is left to the
/// standard parser, which has the last word.
pub(super) fn parse_ip(text: &str) -> Option<IpAddr> {
    let mut octets = [0u8; 4];
    let mut index = 0usize;
    let mut value = 0u16;
    let mut digits = 0u8;
    for &b in text.as_bytes() {
        match b {
            b'0'..=b'9' => {
                if digits == 3 || (digits == 1 && value == 0) {
                    return text.parse().ok();
                }
                value = value * 10 + u16::from(b - b'0');
                digits += 1;
            }
            b'.' => {
                if digits == 0 || index >= 3 {
                    return text.parse().ok();
                }
                if value > 255 {
                    return text.parse().ok();
                }
                *octets.get_mut(index)? = u8::try_from(value).ok()?;
                index += 1;
                value = 0;
                digits = 0;
            }
            _ => return text.parse().ok(),
        }
    }
    if digits == 0 || index != 3 || value > 255 {
        return text.parse().ok();
    }
    *octets.get_mut(3)? = u8::try_from(value).ok()?;
    Some(IpAddr::from(octets))
}

/// An address with its mask (`addr/len` or `addr/netmask`): the mask's bits are the low 32 bits for IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// The address as written.
    pub addr: IpAddr,
    /// The mask.
    pub mask: u128,
}

impl Prefix {
    /// Whether `ip` is in the prefix; `None` when `ip` is of the other family.
    pub fn contains(&self, ip: IpAddr) -> Option<bool> {
        let (a, b) = (bits(self.addr), bits(ip));
        (Family::of(self.addr) == Family::of(ip)).then_some(a & self.mask == b & self.mask)
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn not_an_address(family: Option<Family>) -> Invalid {
    Invalid::new(
        "invalid-address",
        match family {
            Some(f) => format!("not an {} address or prefix", f.name()),
            None => "not an IP address or prefix".to_string(),
        },
    )
}

/// One `addr[/prefix|/netmask]`, in a dump of `family`.
pub fn prefix(text: &str, family: Option<Family>) -> Result<Prefix, Invalid> {
    let (host, mask) = match split_at_byte(text, b'/') {
        Some((host, mask)) => (host, Some(mask)),
        None => (text, None),
    };
    let addr = parse_ip(host).ok_or_else(|| not_an_address(family))?;
    let own = Family::of(addr);
    if let Some(f) = family.filter(|f| *f != own) {
        return Err(Invalid::new(
            "invalid-address",
            format!("an {} address in {}", own.name(), f.dump()),
        ));
    }
    let width: u32 = match own {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    let full = u128::MAX >> (128 - width);
    let mask = match mask {
        None => full,
        Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
            let len = small_number(m);
            if len > u64::from(width) {
                return Err(Invalid::new(
                    "invalid-address",
                    format!("prefix length {} is over {width}", shown(m)),
                ));
            }
            let len = u32::try_from(len).unwrap_or(width);
            // The top `len` bits of the family's width.
            full & !(full.checked_shr(len).unwrap_or(0))
        }
        Some(m) => match parse_ip(m) {
            Some(netmask) if Family::of(netmask) == own => bits(netmask),
            _ => {
                return Err(Invalid::new(
                    "invalid-address",
                    format!(
                        "{} is not a prefix length or an {} netmask",
                        shown(m),
                        own.name()
                    ),
                ))
            }
        },
    };
    Ok(Prefix { addr, mask })
}

/// A `-s`/`-d` value: one prefix or a comma list (iptables adds one rule per address). The family of its first
/// address.
pub fn address_list(text: &str, family: Option<Family>) -> Result<Family, Invalid> {
    let mut family = family;
    for item in items(text) {
        let p = prefix(item, family).map_err(|e| {
            if item.len() < text.len() && e.why.starts_with("not an") {
                Invalid::new(e.code, format!("{} is {}", shown(item), e.why))
            } else {
                e
            }
        })?;
        family = Some(Family::of(p.addr));
    }
    family.ok_or_else(|| not_an_address(None))
}

/// Whether `ip` is in the `-s`/`-d` value `text`; an error for a value that is not valid. An address of the other
/// family is not valid either: the table it was written in could not have held it.
pub fn address_contains(text: &str, ip: IpAddr) -> Result<bool, Invalid> {
    let family = Some(Family::of(ip));
    let mut hit = false;
    for item in items(text) {
        hit |= prefix(item, family)?.contains(ip).unwrap_or(false);
    }
    Ok(hit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why<T: std::fmt::Debug>(r: Result<T, Invalid>) -> (&'static str, String) {
        let e = r.expect_err("invalid");
        (e.code, e.why)
    }

    #[test]
    fn addresses() {
        let v4 = Some(Family::V4);
        let v6 = Some(Family::V6);
        assert_eq!(prefix("10.96.0.10/32", v4).map(|p| p.mask), Ok(0xffff_ffff));
        assert_eq!(prefix("10.0.0.0/8", None).map(|p| p.mask), Ok(0xff00_0000));
        assert_eq!(prefix("0.0.0.0/0", v4).map(|p| p.mask), Ok(0));
        assert_eq!(
            prefix("10.0.0.0/255.0.255.0", v4).map(|p| p.mask),
            Ok(0xff00_ff00),
            "iptables keeps a non-contiguous netmask"
        );
        assert_eq!(prefix("fd00::/8", v6).map(|p| p.mask), Ok(0xff << 120));
        assert_eq!(prefix("::/0", v6).map(|p| p.mask), Ok(0));
        assert_eq!(
            why(prefix("10.0.0.300/32", v4)),
            ("invalid-address", "not an IPv4 address or prefix".into())
        );
        assert_eq!(
            why(prefix("10.0.0.0/33", v4)).1,
            "prefix length 33 is over 32"
        );
        assert_eq!(
            why(prefix("fd00::/129", v6)).1,
            "prefix length 129 is over 128"
        );
        assert_eq!(
            why(prefix("10.0.0.0/99999999999999999999999", None)).1,
            "prefix length 99999999999999999999999 is over 32"
        );
        assert_eq!(
            why(prefix("10.0.0.1/32", v6)).1,
            "an IPv4 address in an IPv6 (ip6tables) dump"
        );
        assert_eq!(
            why(prefix("fd00::1/128", v4)).1,
            "an IPv6 address in an IPv4 (iptables) dump"
        );
        assert!(prefix("10.0.0.0/", v4).is_err());
        assert!(prefix("10.0.0.0/ff", v4).is_err());
        assert!(prefix("", v4).is_err());
        assert!(prefix("example.com", v4).is_err());
        assert_eq!(address_list("10.0.0.1,10.0.0.2/31", None), Ok(Family::V4));
        assert!(address_list("10.0.0.1,,10.0.0.2", None).is_err());
        assert!(address_list("10.0.0.1,fd00::1", None).is_err());
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(address_contains("10.0.0.0/8", ip("10.9.9.9")), Ok(true));
        assert_eq!(address_contains("10.0.0.0/8", ip("11.0.0.1")), Ok(false));
        assert_eq!(
            address_contains("10.0.0.0/255.0.0.255", ip("10.7.7.0")),
            Ok(true)
        );
        assert!(address_contains("10.0.0.300/32", ip("10.0.0.30")).is_err());
        assert!(address_contains("10.0.0.0/8", ip("fd00::1")).is_err());
    }

    #[test]
    fn the_dotted_quad_reader_agrees_with_the_standard_one() {
        for text in [
            "10.96.0.10",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "10.0.0.300",
            "010.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "",
            "1234.1.1.1",
            "00.1.2.3",
            "0.0.0.00",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert_eq!(parse_ip(text), text.parse::<IpAddr>().ok(), "{text}");
        }
    }
}
