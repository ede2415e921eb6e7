-- What AI agents may do on a channel: auto (send), draft (a person sends), off.
ALTER TABLE channels ADD COLUMN reply_mode TEXT NOT NULL DEFAULT 'auto';
