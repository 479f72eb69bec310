//! The topic table ([`Table`]): each topic's subscribers, and the local fan-out of a
//! message to them.
//!
//! A topic exists while it has subscribers: the last one leaving removes it, so a topic
//! nobody listens to costs nothing. A publish takes a snapshot of the topic's subscriber
//! list (a reference count) and fans out without holding the table's lock; changing a list
//! that a publish still holds copies it (copy-on-write), so subscribing never waits for a
//! fan-out to end and a fan-out never waits for a subscribe.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock};

use super::mailbox::{Mailbox, Pushed};
use super::policy::TopicsOptions;
use super::stats::Counters;
use crate::shared_frame::SharedFrame;

type Subscribers = Arc<Vec<Arc<Mailbox>>>;

/// Every topic with at least one local subscriber.
#[derive(Debug)]
pub(super) struct Table {
    pub(super) options: TopicsOptions,
    pub(super) counters: Counters,
    topics: RwLock<HashMap<Box<str>, Subscribers>>,
}

impl Table {
    pub(super) fn new(options: TopicsOptions) -> Self {
        Self {
            options,
            counters: Counters::default(),
            topics: RwLock::default(),
        }
    }

    /// Add `mailbox` to `topic`; `created` runs (under the table's lock, so that the
    /// backplane sees creations and removals in order) when the topic is new.
    pub(super) fn subscribe(&self, topic: &str, mailbox: &Arc<Mailbox>, created: impl FnOnce()) {
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        match topics.get_mut(topic) {
            Some(list) => Arc::make_mut(list).push(mailbox.clone()),
            None => {
                topics.insert(topic.into(), Arc::new(vec![mailbox.clone()]));
                created();
            }
        }
    }

    /// Remove `mailbox` from `topic`; `removed` runs (under the lock) when that was the
    /// topic's last subscriber and the topic is gone.
    pub(super) fn unsubscribe(&self, topic: &str, mailbox: &Arc<Mailbox>, removed: impl FnOnce()) {
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        let Some(list) = topics.get_mut(topic) else {
            return;
        };
        let Some(at) = list.iter().position(|m| Arc::ptr_eq(m, mailbox)) else {
            return;
        };
        if list.len() == 1 {
            topics.remove(topic);
            removed();
        } else {
            Arc::make_mut(list).swap_remove(at);
        }
    }

    /// Queue `frame` for every local subscriber of `topic`: how many got it.
    pub(super) fn fan_out(&self, topic: &str, frame: &SharedFrame) -> usize {
        let list = {
            let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
            match topics.get(topic) {
                Some(list) => list.clone(),
                None => return 0,
            }
        };
        let (limit, overflow) = (self.options.queue_len, self.options.overflow);
        let (mut queued, mut dropped, mut cut_off) = (0, 0, 0);
        for mailbox in list.iter() {
            match mailbox.push(frame, limit, overflow) {
                Pushed::Queued => queued += 1,
                Pushed::DroppedOldest => {
                    queued += 1;
                    dropped += 1;
                }
                Pushed::DroppedNewest => dropped += 1,
                Pushed::CutOff => cut_off += 1,
                Pushed::Gone => {}
            }
        }
        let counters = &self.counters;
        counters.queued.fetch_add(queued, Relaxed);
        if dropped > 0 {
            counters.dropped.fetch_add(dropped, Relaxed);
        }
        if cut_off > 0 {
            counters.cut_off.fetch_add(cut_off, Relaxed);
        }
        queued as usize
    }

    /// How many local subscribers `topic` has.
    pub(super) fn subscriber_count(&self, topic: &str) -> usize {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        topics.get(topic).map_or(0, |list| list.len())
    }

    /// How many topics have local subscribers.
    pub(super) fn topic_count(&self) -> usize {
        self.topics.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The names of the topics with local subscribers.
    pub(super) fn topic_names(&self) -> Vec<String> {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        topics.keys().map(|name| name.to_string()).collect()
    }
}
