-- Reply timers: when the current assignee got the conversation and when a
-- person last replied. Existing assignments count from their last change.

ALTER TABLE conversations ADD COLUMN assigned_at timestamptz;
ALTER TABLE conversations ADD COLUMN last_reply_at timestamptz;
UPDATE conversations SET assigned_at = updated_at WHERE assignee_id IS NOT NULL;
