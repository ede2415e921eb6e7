//! The conformance suite: behaviours every backend must show identically.
//! A backend's test crate runs them all with
//! `baton_store::conformance_tests!(fresh_store);` where `fresh_store` is an
//! `async fn() -> Arc<dyn Store>` returning an empty store.

#![allow(missing_docs, clippy::unwrap_used)]

mod agents;
mod concurrency;
mod directory;
mod fixture;
mod log;
mod notifications;
mod ownership;
mod routing;
mod timers;
mod views;

pub use agents::*;
pub use concurrency::*;
pub use directory::*;
pub use fixture::Fixture;
pub use log::*;
pub use notifications::*;
pub use ownership::*;
pub use routing::*;
pub use timers::*;
pub use views::*;

/// Expand to one `#[tokio::test]` per conformance behaviour.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:path) => {
        $crate::conformance_tests!(@each $factory,
            inbound_creates_contact_conversation_and_message,
            articles_are_managed_by_admins_and_read_by_members,
            agent_reply_carries_agent_session_and_receipt,
            agent_reply_is_committed_once_per_idempotency_key,
            reply_generated_while_the_session_ended_is_not_committed,
            human_reply_does_not_end_the_session,
            handoff_ends_the_session_and_the_team_gets_it_by_round_robin,
            autopilot_starts_every_new_conversation_with_a_session,
            drafts_are_replaced_survive_reassignment_and_clear_on_reply,
            agent_cursor_is_kept_per_workspace,
            idle_session_times_out_after_the_agents_maximum_duration,
            inbound_joins_the_open_conversation,
            inbound_view_of_a_new_conversation_is_what_a_read_shows,
            inbound_reopens_a_closed_conversation,
            inbound_merges_contact_details,
            assign_user_sets_assignee_and_records_event,
            reassigning_replaces_the_assignee,
            assigning_a_deactivated_user_is_refused,
            assigning_a_viewer_is_refused,
            foreign_ids_are_not_found,
            viewer_cannot_assign_but_can_write_notes,
            assign_agent_starts_a_session,
            end_session_keeps_the_agent_and_silences_it,
            ending_an_inactive_session_is_a_conflict,
            unassign_agent_ends_the_session,
            take_over_stamps_handoff_and_assigns_the_caller,
            hand_back_starts_a_new_session,
            replacing_the_agent_ends_the_old_session,
            team_assign_and_unassign,
            snooze_needs_a_future_time,
            closing_keeps_ownership,
            tags_and_priority_change_with_events,
            read_and_unread_are_per_user,
            transfer_moves_to_another_channel,
            note_mentions_are_recorded,
            refused_command_changes_nothing,
            noop_command_writes_no_event,
            views_select_the_right_conversations,
            view_filters_narrow_the_list,
            counts_match_the_views,
            counts_stay_true_through_every_kind_of_change,
            search_finds_message_text_and_contact_names,
            cursor_paging_is_stable_under_inserts,
            timeline_holds_every_change_in_order,
            audit_lists_workspace_events_newest_first,
            events_after_is_gapless_and_ordered,
            a_failed_write_leaves_no_gap_in_the_log,
            events_after_of_reads_only_the_kinds_asked_for,
            wakeup_follows_each_commit,
            users_have_unique_emails_and_handles,
            last_owner_is_protected,
            tokens_and_web_sessions_authenticate_active_users,
            contacts_are_created_updated_and_unique,
            teams_and_members,
            agents_and_channels,
            channels_change_name_autopilot_and_reply_mode,
            seeded_conversations_are_listed,
            export_collects_everything,
            concurrent_commands_never_lose_an_update,
            concurrent_inbound_creates_one_conversation_per_contact,
            round_robin_alternates_between_online_members_and_never_picks_an_away_one,
            full_member_is_skipped_and_the_member_without_a_limit_gets_it,
            balanced_counts_only_open_conversations,
            team_rule_with_nobody_online_waits_and_assigns_when_a_member_comes_online,
            queue_drains_oldest_first_when_capacity_frees,
            queue_drains_when_a_member_is_added,
            vip_rule_sends_vip_contacts_to_the_senior_and_others_round_robin,
            specific_user_rule_falls_through_when_the_user_is_not_eligible,
            deactivated_user_is_never_picked,
            contact_writing_into_a_closed_conversation_reopens_and_reroutes_if_the_assignee_is_gone,
            rules_are_managed_in_order_and_invalid_ones_refused,
            dry_run_explains_without_changing_anything,
            rule_actions_tag_prioritise_and_hand_to_an_agent,
            business_hours_condition_follows_the_workspace_clock,
            concurrent_routing_assigns_every_conversation_once_and_evenly,
            reply_timeout_returns_the_conversation_to_the_queue_for_someone_else,
            reply_timeout_waits_in_the_queue_when_nobody_else_is_eligible,
            reply_timeout_reassigns_directly_and_a_reply_stops_it,
            going_away_returns_open_conversations_to_the_queue_when_the_team_asks,
            team_settings_are_validated_permitted_and_audited,
            assignment_by_someone_else_notifies_the_assignee_in_app_and_by_email,
            self_assignment_and_unassignment_notify_no_one,
            routing_assignment_notifies_the_assignee,
            contact_message_notifies_only_the_owner,
            ai_handoff_to_a_person_notifies_them,
            mention_in_a_note_notifies_the_mentioned_user,
            team_assignment_notifies_members_only_when_opted_in,
            deliveries_are_queued_only_for_media_the_deployment_can_send,
            deactivated_users_get_no_notifications,
            preferences_choose_media_per_kind_and_slack_needs_a_member_id,
            notifications_page_newest_first_and_are_marked_read,
            deliveries_are_retried_with_backoff_and_given_up,
            two_workers_never_claim_one_delivery_twice,
            webhooks_are_validated_and_admin_only,
            webhooks_get_each_matching_event_once_and_are_disabled_after_failing,
        );
    };
    (@each $factory:path, $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store = $factory().await;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}
