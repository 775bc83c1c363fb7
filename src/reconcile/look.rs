//! A look at one property without acting: what a cycle would decide, what each access system
//! holds (through the informer's shared observation when the caller passes one) and each
//! system's plan. The cycle must be a dry run: nothing is written to the store or to a system.
//! The console's person page reads it.

use super::{Cycle, Report};
use crate::model::{ActualState, DesiredState, Plan};
use std::collections::BTreeMap;

/// One access system as a look sees it.
#[derive(Debug, Clone)]
pub struct SystemLook {
    /// What the property should hold there, with the grants and PINs lockstep recorded.
    pub desired: DesiredState,
    /// What the system holds and the plan that would correct it; `None` when it failed.
    pub observed: Option<(ActualState, Plan)>,
}

/// What a look found.
#[derive(Debug, Clone, Default)]
pub struct Look {
    /// Why nothing could be decided (no source answered whole).
    pub skipped: Option<String>,
    pub systems: BTreeMap<String, SystemLook>,
    /// Sources and systems that failed: name → message.
    pub source_failures: BTreeMap<String, String>,
    pub system_failures: BTreeMap<String, String>,
}

impl Cycle<'_> {
    /// Decides and observes like `run`, then stops before the guard and the gate.
    pub async fn look(&self) -> Look {
        let mut look = Look::default();
        if !self.dry_run {
            look.skipped = Some("a look is a dry run; this cycle was not".into());
            return look;
        }
        let mut report = Report::default();
        match self.decide(&mut report).await {
            Err(e) => look.skipped = Some(e.to_string()),
            Ok(decided) => {
                for (name, desired) in crate::policy::per_system(self.property, &decided.desired) {
                    let failed = SystemLook {
                        desired,
                        observed: None,
                    };
                    look.systems.insert(name, failed);
                }
                if let Ok(mut views) = self.observe_all(&decided.desired, &mut report).await {
                    self.plan_all(&mut views, &mut report);
                    for v in views {
                        let seen = SystemLook {
                            desired: v.desired,
                            observed: Some((v.actual, v.plan)),
                        };
                        look.systems.insert(v.name.to_string(), seen);
                    }
                }
            }
        }
        let message = |(name, (_, m)): (String, (String, String))| (name, m);
        look.source_failures = report.source_failures.into_iter().map(message).collect();
        look.system_failures = report.system_failures.into_iter().map(message).collect();
        look
    }
}
