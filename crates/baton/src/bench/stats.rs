//! Latency samples and their percentiles.

use std::time::Duration;

/// Latency samples of one measured phase.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    micros: Vec<u64>,
    /// Requests that failed.
    pub errors: u64,
}

impl Samples {
    /// Record one successful request.
    pub fn push(&mut self, d: Duration) {
        self.micros.push(d.as_micros() as u64);
    }

    /// Merge another client's samples.
    pub fn merge(&mut self, other: Samples) {
        self.micros.extend(other.micros);
        self.errors += other.errors;
    }

    /// Number of successful requests.
    pub fn count(&self) -> usize {
        self.micros.len()
    }

    /// The p-th percentile (0..=100) in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let mut v = self.micros.clone();
        v.sort_unstable();
        let rank = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
        v[rank.min(v.len() - 1)] as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut s = Samples::default();
        for i in 1..=100u64 {
            s.push(Duration::from_millis(i));
        }
        assert_eq!(s.percentile_ms(50.0), 51.0);
        assert_eq!(s.percentile_ms(99.0), 99.0);
        assert_eq!(s.percentile_ms(100.0), 100.0);
        assert!(Samples::default().percentile_ms(50.0).is_nan());
    }
}
