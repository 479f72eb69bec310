//! [`HubState`]: what the handles of one hub share — the topic table and the backplane
//! that hears of topics appearing and disappearing.

use std::sync::Arc;

use super::backplane::Backplane;
use super::mailbox::Mailbox;
use super::table::Table;

#[derive(Debug)]
pub(super) struct HubState {
    pub(super) table: Arc<Table>,
    pub(super) backplane: Option<Arc<dyn Backplane>>,
}

impl HubState {
    pub(super) fn subscribe(&self, topic: &str, mailbox: &Arc<Mailbox>) {
        self.table.subscribe(topic, mailbox, || {
            if let Some(backplane) = &self.backplane {
                backplane.subscribe(topic);
            }
        });
    }

    pub(super) fn unsubscribe(&self, topic: &str, mailbox: &Arc<Mailbox>) {
        self.table.unsubscribe(topic, mailbox, || {
            if let Some(backplane) = &self.backplane {
                backplane.unsubscribe(topic);
            }
        });
    }
}
