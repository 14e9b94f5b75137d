BEGIN;
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)
;
-- Running upgrade  -> 0001
CREATE TABLE competitor (
    id SERIAL NOT NULL,
    name VARCHAR(120) NOT NULL,
    aliases VARCHAR(500),
    PRIMARY KEY (id),
    UNIQUE (name)
);
CREATE TABLE decision_factor (
    id SERIAL NOT NULL,
    category VARCHAR(80) NOT NULL,
    name VARCHAR(120) NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (category, name)
);
CREATE TABLE interview_guide (
    id SERIAL NOT NULL,
    name VARCHAR(200) NOT NULL,
    outcome VARCHAR(20) NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id)
);
CREATE TABLE setting (
    key VARCHAR(80) NOT NULL,
    value JSON NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (key)
);
CREATE TABLE "user" (
    id SERIAL NOT NULL,
    email VARCHAR(255) NOT NULL,
    name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(32) NOT NULL,
    active BOOLEAN NOT NULL,
    last_login_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_email ON "user" (email);
CREATE TABLE account (
    id SERIAL NOT NULL,
    name VARCHAR(200) NOT NULL,
    slug VARCHAR(200) NOT NULL,
    segment VARCHAR(80),
    industry VARCHAR(80),
    tier VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL,
    owner_id INTEGER,
    annual_revenue NUMERIC(16, 2),
    cost_to_serve NUMERIC(16, 2),
    renewal_date DATE,
    external_id VARCHAR(100),
    version INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(owner_id) REFERENCES "user" (id),
    PRIMARY KEY (id),
    UNIQUE (external_id),
    UNIQUE (name)
);
CREATE INDEX ix_account_owner_id ON account (owner_id);
CREATE INDEX ix_account_segment ON account (segment);
CREATE INDEX ix_account_status ON account (status);
CREATE INDEX ix_account_status_tier ON account (status, tier);
CREATE INDEX ix_account_tier ON account (tier);
CREATE UNIQUE INDEX ix_account_slug ON account (slug);
CREATE TABLE audit_event (
    id SERIAL NOT NULL,
    at TIMESTAMP WITH TIME ZONE NOT NULL,
    user_id INTEGER,
    action VARCHAR(40) NOT NULL,
    entity VARCHAR(60) NOT NULL,
    entity_id VARCHAR(64),
    summary VARCHAR(500) NOT NULL,
    details JSON,
    ip VARCHAR(64),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_audit_event_at ON audit_event (at);
CREATE INDEX ix_audit_event_user_id ON audit_event (user_id);
CREATE TABLE guide_question (
    id SERIAL NOT NULL,
    guide_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text VARCHAR(500) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    choices VARCHAR(1000),
    factor_id INTEGER,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(guide_id) REFERENCES interview_guide (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX ix_guide_question_guide_id ON guide_question (guide_id);
CREATE TABLE job (
    id SERIAL NOT NULL,
    kind VARCHAR(60) NOT NULL,
    status VARCHAR(20) NOT NULL,
    done INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    error TEXT,
    params JSON,
    result JSON,
    created_by_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE,
    finished_at TIMESTAMP WITH TIME ZONE,
    FOREIGN KEY(created_by_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE TABLE program_rule (
    id SERIAL NOT NULL,
    name VARCHAR(200) NOT NULL,
    outcome VARCHAR(20),
    min_amount NUMERIC(16, 2),
    competitor_id INTEGER,
    segment VARCHAR(80),
    active BOOLEAN NOT NULL,
    FOREIGN KEY(competitor_id) REFERENCES competitor (id),
    PRIMARY KEY (id)
);
CREATE TABLE account_member (
    account_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX ix_account_member_user_id ON account_member (user_id);
CREATE TABLE deal (
    id SERIAL NOT NULL,
    account_id INTEGER,
    name VARCHAR(200) NOT NULL,
    external_id VARCHAR(100),
    amount NUMERIC(16, 2),
    product VARCHAR(120),
    owner_id INTEGER,
    opened_on DATE,
    closed_on DATE,
    outcome VARCHAR(20) NOT NULL,
    primary_competitor_id INTEGER,
    rep_reason_id INTEGER,
    rep_notes TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(owner_id) REFERENCES "user" (id),
    FOREIGN KEY(primary_competitor_id) REFERENCES competitor (id),
    FOREIGN KEY(rep_reason_id) REFERENCES decision_factor (id),
    PRIMARY KEY (id),
    UNIQUE (external_id)
);
CREATE INDEX ix_deal_account_id ON deal (account_id);
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id);
CREATE INDEX ix_deal_closed_on ON deal (closed_on);
CREATE INDEX ix_deal_owner_id ON deal (owner_id);
CREATE INDEX ix_deal_primary_competitor_id ON deal (primary_competitor_id);
CREATE INDEX ix_deal_product ON deal (product);
CREATE TABLE stakeholder (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    title VARCHAR(200),
    email VARCHAR(255),
    phone VARCHAR(60),
    buying_role VARCHAR(32) NOT NULL,
    influence INTEGER NOT NULL,
    sentiment VARCHAR(20) NOT NULL,
    is_key BOOLEAN NOT NULL,
    reports_to_id INTEGER,
    preferences TEXT,
    notes TEXT,
    preferred_channel VARCHAR(20),
    opted_out_at TIMESTAMP WITH TIME ZONE,
    left_company_at TIMESTAMP WITH TIME ZONE,
    last_contacted_on DATE,
    external_id VARCHAR(100),
    erased_at TIMESTAMP WITH TIME ZONE,
    version INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(reports_to_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_stakeholder_account_id ON stakeholder (account_id);
CREATE INDEX ix_stakeholder_account_key ON stakeholder (account_id, is_key);
CREATE INDEX ix_stakeholder_email ON stakeholder (email);
CREATE INDEX ix_stakeholder_external_id ON stakeholder (external_id);
CREATE TABLE value_commitment (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT,
    driver VARCHAR(32) NOT NULL,
    expected_amount NUMERIC(16, 2),
    unit VARCHAR(16) NOT NULL,
    due_on DATE NOT NULL,
    status VARCHAR(20) NOT NULL,
    delivered_on DATE,
    created_by_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(created_by_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_value_commitment_account_id ON value_commitment (account_id);
CREATE INDEX ix_value_commitment_due_on ON value_commitment (due_on);
CREATE INDEX ix_value_commitment_status ON value_commitment (status);
CREATE TABLE deal_competitor (
    deal_id INTEGER NOT NULL,
    competitor_id INTEGER NOT NULL,
    FOREIGN KEY(competitor_id) REFERENCES competitor (id) ON DELETE CASCADE,
    FOREIGN KEY(deal_id) REFERENCES deal (id) ON DELETE CASCADE,
    PRIMARY KEY (deal_id, competitor_id)
);
CREATE INDEX ix_deal_competitor_competitor_id ON deal_competitor (competitor_id);
CREATE TABLE value_entry (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT,
    driver VARCHAR(32) NOT NULL,
    amount NUMERIC(16, 2) NOT NULL,
    unit VARCHAR(16) NOT NULL,
    delivered_on DATE NOT NULL,
    evidence_status VARCHAR(20) NOT NULL,
    source VARCHAR(200),
    commitment_id INTEGER,
    created_by_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(commitment_id) REFERENCES value_commitment (id),
    FOREIGN KEY(created_by_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_value_entry_account_delivered ON value_entry (account_id, delivered_on);
CREATE INDEX ix_value_entry_commitment_id ON value_entry (commitment_id);
CREATE INDEX ix_value_entry_delivered_on ON value_entry (delivered_on);
CREATE INDEX ix_value_entry_driver ON value_entry (driver);
CREATE TABLE value_summary (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    quarter VARCHAR(7) NOT NULL,
    variant VARCHAR(20) NOT NULL,
    file_path VARCHAR(500) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    generated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    generated_by_id INTEGER,
    job_id INTEGER,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(generated_by_id) REFERENCES "user" (id),
    FOREIGN KEY(job_id) REFERENCES job (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id),
    UNIQUE (account_id, stakeholder_id, quarter, variant)
);
CREATE INDEX ix_value_summary_quarter_account ON value_summary (quarter, account_id);
CREATE INDEX ix_value_summary_stakeholder_id ON value_summary (stakeholder_id);
CREATE TABLE winloss_interview (
    id SERIAL NOT NULL,
    deal_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    contact_name VARCHAR(200),
    contact_title VARCHAR(200),
    interviewer_id INTEGER,
    guide_id INTEGER,
    status VARCHAR(20) NOT NULL,
    channel VARCHAR(20),
    anonymity VARCHAR(20) NOT NULL,
    requested_at TIMESTAMP WITH TIME ZONE NOT NULL,
    scheduled_for TIMESTAMP WITH TIME ZONE,
    completed_at TIMESTAMP WITH TIME ZONE,
    primary_reason_id INTEGER,
    notes TEXT,
    rule_id INTEGER,
    FOREIGN KEY(deal_id) REFERENCES deal (id),
    FOREIGN KEY(guide_id) REFERENCES interview_guide (id),
    FOREIGN KEY(interviewer_id) REFERENCES "user" (id),
    FOREIGN KEY(primary_reason_id) REFERENCES decision_factor (id),
    FOREIGN KEY(rule_id) REFERENCES program_rule (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_winloss_interview_deal_id ON winloss_interview (deal_id);
CREATE INDEX ix_winloss_interview_status ON winloss_interview (status);
CREATE TABLE access_link (
    id SERIAL NOT NULL,
    nonce VARCHAR(64) NOT NULL,
    purpose VARCHAR(30) NOT NULL,
    stakeholder_id INTEGER,
    account_id INTEGER,
    deal_id INTEGER,
    interview_id INTEGER,
    payload JSON,
    created_by_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(created_by_id) REFERENCES "user" (id),
    FOREIGN KEY(deal_id) REFERENCES deal (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id),
    UNIQUE (nonce)
);
CREATE INDEX ix_access_link_account_id ON access_link (account_id);
CREATE INDEX ix_access_link_deal_id ON access_link (deal_id);
CREATE INDEX ix_access_link_stakeholder_id ON access_link (stakeholder_id);
CREATE TABLE distribution (
    id SERIAL NOT NULL,
    summary_id INTEGER NOT NULL,
    channel VARCHAR(20) NOT NULL,
    recipient VARCHAR(255),
    status VARCHAR(20) NOT NULL,
    sent_at TIMESTAMP WITH TIME ZONE,
    message_id VARCHAR(255),
    error TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(summary_id) REFERENCES value_summary (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (summary_id, channel)
);
CREATE INDEX ix_distribution_summary_id ON distribution (summary_id);
CREATE TABLE factor_rating (
    id SERIAL NOT NULL,
    interview_id INTEGER NOT NULL,
    factor_id INTEGER NOT NULL,
    rating INTEGER,
    importance INTEGER,
    effect VARCHAR(20) NOT NULL,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (interview_id, factor_id)
);
CREATE INDEX ix_factor_rating_factor_id ON factor_rating (factor_id);
CREATE INDEX ix_factor_rating_interview_id ON factor_rating (interview_id);
CREATE TABLE interview_answer (
    id SERIAL NOT NULL,
    interview_id INTEGER NOT NULL,
    question_id INTEGER,
    text TEXT,
    rating INTEGER,
    choice VARCHAR(200),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id) ON DELETE CASCADE,
    FOREIGN KEY(question_id) REFERENCES guide_question (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_interview_answer_interview_id ON interview_answer (interview_id);
CREATE TABLE interview_quote (
    id SERIAL NOT NULL,
    interview_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    tags VARCHAR(500),
    factor_id INTEGER,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX ix_interview_quote_factor_id ON interview_quote (factor_id);
CREATE INDEX ix_interview_quote_interview_id ON interview_quote (interview_id);
CREATE TABLE value_entry_beneficiary (
    entry_id INTEGER NOT NULL,
    stakeholder_id INTEGER NOT NULL,
    FOREIGN KEY(entry_id) REFERENCES value_entry (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE CASCADE,
    PRIMARY KEY (entry_id, stakeholder_id)
);
CREATE INDEX ix_value_entry_beneficiary_stakeholder_id ON value_entry_beneficiary (stakeholder_id);
CREATE TABLE loyalty_pulse (
    id SERIAL NOT NULL,
    stakeholder_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    taken_on DATE NOT NULL,
    satisfaction INTEGER NOT NULL,
    repurchase_intent VARCHAR(20) NOT NULL,
    recommend INTEGER NOT NULL,
    positive_emotion BOOLEAN NOT NULL,
    emotion_text TEXT,
    driver_ranking JSON,
    comment TEXT,
    method VARCHAR(20) NOT NULL,
    link_id INTEGER,
    recorded_by_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(link_id) REFERENCES access_link (id),
    FOREIGN KEY(recorded_by_id) REFERENCES "user" (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_loyalty_pulse_account_id ON loyalty_pulse (account_id);
CREATE INDEX ix_loyalty_pulse_stakeholder_taken ON loyalty_pulse (stakeholder_id, taken_on);
CREATE INDEX ix_loyalty_pulse_taken_on ON loyalty_pulse (taken_on);
CREATE TABLE value_confirmation (
    id SERIAL NOT NULL,
    entry_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    response VARCHAR(20) NOT NULL,
    adjusted_amount NUMERIC(16, 2),
    comment TEXT,
    method VARCHAR(20) NOT NULL,
    link_id INTEGER,
    recorded_by_id INTEGER,
    responded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(entry_id) REFERENCES value_entry (id) ON DELETE CASCADE,
    FOREIGN KEY(link_id) REFERENCES access_link (id),
    FOREIGN KEY(recorded_by_id) REFERENCES "user" (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_value_confirmation_entry_id ON value_confirmation (entry_id);
CREATE INDEX ix_value_confirmation_stakeholder_id ON value_confirmation (stakeholder_id);
INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING alembic_version.version_num;
-- Running upgrade 0001 -> 0002
CREATE TABLE data_version (
    id SERIAL NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_value_entry_account_evidence ON value_entry (account_id, evidence_status);
UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';
-- Running upgrade 0002 -> 0003
CREATE TABLE worker_heartbeat (
    id VARCHAR(32) NOT NULL,
    hostname VARCHAR(255) NOT NULL,
    pid INTEGER NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE NOT NULL,
    seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_worker_heartbeat_expires_at ON worker_heartbeat (expires_at);
UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';
-- Running upgrade 0003 -> 0004
ALTER TABLE value_entry ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE value_commitment ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE winloss_interview ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE interview_guide ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE guide_question ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE program_rule ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE decision_factor ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE "user" ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE setting ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
SELECT account_id, external_id, COUNT(*) FROM stakeholder WHERE external_id IS NOT NULL GROUP BY account_id, external_id HAVING COUNT(*) > 1;
CREATE UNIQUE INDEX uq_stakeholder_account_external_id ON stakeholder (account_id, external_id);
UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';
-- Running upgrade 0004 -> 0005
CREATE TABLE user_session (
    id VARCHAR(64) NOT NULL,
    user_id INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at TIMESTAMP WITH TIME ZONE,
    ip VARCHAR(64),
    user_agent VARCHAR(255),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_user_session_user_id ON user_session (user_id);
UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';
-- Running upgrade 0005 -> 0006
ALTER TABLE value_entry ALTER COLUMN driver DROP NOT NULL;
ALTER TABLE value_entry ALTER COLUMN amount DROP NOT NULL;
UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005';
-- Running upgrade 0006 -> 0007
ALTER TABLE access_link ADD COLUMN reminded_at TIMESTAMP WITH TIME ZONE;
UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006';
-- Running upgrade 0007 -> 0008
ALTER TABLE "user" ADD COLUMN title VARCHAR(200);
ALTER TABLE stakeholder ADD COLUMN opted_out_via VARCHAR(30);
UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';
-- Running upgrade 0008 -> 0012
CREATE TABLE activity (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    kind VARCHAR(20) NOT NULL,
    occurred_on DATE NOT NULL,
    user_id INTEGER,
    summary TEXT NOT NULL,
    outcome TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_activity_account_occurred ON activity (account_id, occurred_on);
CREATE INDEX ix_activity_user_id ON activity (user_id);
CREATE TABLE activity_stakeholder (
    activity_id INTEGER NOT NULL,
    stakeholder_id INTEGER NOT NULL,
    FOREIGN KEY(activity_id) REFERENCES activity (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, stakeholder_id)
);
CREATE INDEX ix_activity_stakeholder_stakeholder_id ON activity_stakeholder (stakeholder_id);
ALTER TABLE stakeholder ADD COLUMN contacted_before_timeline_on DATE;
UPDATE stakeholder SET contacted_before_timeline_on = last_contacted_on;
UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0008';
-- Running upgrade 0012 -> 0013
CREATE TABLE signal (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    kind VARCHAR(40) NOT NULL,
    severity VARCHAR(10) NOT NULL,
    key VARCHAR(80) NOT NULL,
    stakeholder_id INTEGER,
    subject_type VARCHAR(40),
    subject_id INTEGER,
    message TEXT NOT NULL,
    since DATE NOT NULL,
    opened_at TIMESTAMP WITH TIME ZONE NOT NULL,
    cleared_at TIMESTAMP WITH TIME ZONE,
    details JSON,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE SET NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_signal_account_cleared ON signal (account_id, cleared_at);
CREATE INDEX ix_signal_opened_at ON signal (opened_at);
CREATE INDEX ix_signal_stakeholder_id ON signal (stakeholder_id);
CREATE UNIQUE INDEX uq_signal_open ON signal (account_id, kind, key) WHERE cleared_at IS NULL;
CREATE TABLE health_snapshot (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    week DATE NOT NULL,
    score INTEGER NOT NULL,
    band VARCHAR(10) NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (account_id, week)
);
UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0012';
-- Running upgrade 0013 -> 0014
CREATE TABLE task (
    id SERIAL NOT NULL,
    account_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    title VARCHAR(200) NOT NULL,
    assignee_id INTEGER,
    due_on DATE,
    status VARCHAR(20) NOT NULL,
    dismissed_reason TEXT,
    source VARCHAR(20) NOT NULL,
    signal_id INTEGER,
    play VARCHAR(60),
    created_by_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    done_at TIMESTAMP WITH TIME ZONE,
    version INTEGER NOT NULL,
    CONSTRAINT uq_task_signal_play UNIQUE (signal_id, play),
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(assignee_id) REFERENCES "user" (id),
    FOREIGN KEY(created_by_id) REFERENCES "user" (id),
    FOREIGN KEY(signal_id) REFERENCES signal (id) ON DELETE SET NULL,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE SET NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_task_account_status ON task (account_id, status);
CREATE INDEX ix_task_assignee_status_due ON task (assignee_id, status, due_on);
CREATE INDEX ix_task_signal_id ON task (signal_id);
CREATE TABLE task_comment (
    id SERIAL NOT NULL,
    task_id INTEGER NOT NULL,
    author_id INTEGER,
    text TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(author_id) REFERENCES "user" (id),
    FOREIGN KEY(task_id) REFERENCES task (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX ix_task_comment_task_id ON task_comment (task_id);
UPDATE alembic_version SET version_num='0014' WHERE alembic_version.version_num = '0013';
-- Running upgrade 0014 -> 0015
CREATE TABLE digest_send (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    period VARCHAR(10) NOT NULL,
    period_key VARCHAR(10) NOT NULL,
    status VARCHAR(10) NOT NULL,
    window_start TIMESTAMP WITH TIME ZONE NOT NULL,
    window_end TIMESTAMP WITH TIME ZONE NOT NULL,
    counts JSON,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    sent_at TIMESTAMP WITH TIME ZONE,
    message_id VARCHAR(255),
    error TEXT,
    FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (user_id, period, period_key)
);
CREATE INDEX ix_digest_send_user_id ON digest_send (user_id);
CREATE TABLE notification_preference (
    user_id INTEGER NOT NULL,
    event VARCHAR(40) NOT NULL,
    channel VARCHAR(20) NOT NULL,
    enabled BOOLEAN NOT NULL,
    FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, event, channel)
);
CREATE TABLE notification (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    event VARCHAR(40) NOT NULL,
    account_id INTEGER,
    entity VARCHAR(60) NOT NULL,
    entity_id INTEGER,
    text VARCHAR(500) NOT NULL,
    url VARCHAR(500) NOT NULL,
    in_app BOOLEAN NOT NULL,
    email BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    read_at TIMESTAMP WITH TIME ZONE,
    emailed_at TIMESTAMP WITH TIME ZONE,
    email_attempts INTEGER NOT NULL,
    email_error TEXT,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES "user" (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX ix_notification_account_id ON notification (account_id);
CREATE INDEX ix_notification_email_due ON notification (email, emailed_at);
CREATE INDEX ix_notification_user_created ON notification (user_id, created_at);
CREATE INDEX ix_notification_user_read ON notification (user_id, read_at);
ALTER TABLE "user" ADD COLUMN digest_frequency VARCHAR(10) DEFAULT 'daily' NOT NULL;
UPDATE alembic_version SET version_num='0015' WHERE alembic_version.version_num = '0014';
-- Running upgrade 0015 -> 0016
CREATE TABLE api_token (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    scope VARCHAR(10) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE,
    last_used_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    PRIMARY KEY (id),
    UNIQUE (token_hash)
);
CREATE INDEX ix_api_token_user_id ON api_token (user_id);
UPDATE alembic_version SET version_num='0016' WHERE alembic_version.version_num = '0015';
-- Running upgrade 0016 -> 0017
CREATE TABLE webhook_endpoint (
    id SERIAL NOT NULL,
    url VARCHAR(2000) NOT NULL,
    description VARCHAR(200),
    events JSON NOT NULL,
    secret VARCHAR(100) NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_by_id INTEGER,
    failing_since TIMESTAMP WITH TIME ZONE,
    disabled_reason VARCHAR(500),
    version INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(created_by_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE TABLE webhook_delivery (
    id SERIAL NOT NULL,
    endpoint_id INTEGER NOT NULL,
    event_id VARCHAR(40) NOT NULL,
    event VARCHAR(60) NOT NULL,
    body TEXT NOT NULL,
    status VARCHAR(20) NOT NULL,
    attempt INTEGER NOT NULL,
    next_attempt_at TIMESTAMP WITH TIME ZONE,
    last_attempt_at TIMESTAMP WITH TIME ZONE,
    response_code INTEGER,
    duration_ms INTEGER,
    response_body TEXT,
    error VARCHAR(500),
    replay_of_id INTEGER,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    FOREIGN KEY(endpoint_id) REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
);
CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (status, next_attempt_at);
CREATE INDEX ix_webhook_delivery_endpoint ON webhook_delivery (endpoint_id, id);
UPDATE alembic_version SET version_num='0017' WHERE alembic_version.version_num = '0016';
-- Running upgrade 0017 -> 0018
ALTER TABLE deal ADD COLUMN owner_name VARCHAR(200);
ALTER TABLE account ADD COLUMN owner_name VARCHAR(200);
DROP INDEX ix_deal_closed_analytics;
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id, owner_name);
UPDATE alembic_version SET version_num='0018' WHERE alembic_version.version_num = '0017';
-- Running upgrade 0018 -> 0019
-- run by valuetracker.search.install_index (from 0019_search_index.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0019' WHERE alembic_version.version_num = '0018';
-- Running upgrade 0019 -> 0020
CREATE TABLE saved_view (
    id SERIAL NOT NULL,
    user_id INTEGER NOT NULL,
    name VARCHAR(80) NOT NULL,
    endpoint VARCHAR(80) NOT NULL,
    query VARCHAR(2000) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT uq_saved_view_user_name UNIQUE (user_id, name),
    FOREIGN KEY(user_id) REFERENCES "user" (id),
    PRIMARY KEY (id)
);
CREATE INDEX ix_saved_view_user_id ON saved_view (user_id);
UPDATE alembic_version SET version_num='0020' WHERE alembic_version.version_num = '0019';
-- Running upgrade 0020 -> 0021
CREATE TABLE account_value_rollup (
    account_id INTEGER NOT NULL,
    month DATE NOT NULL,
    driver VARCHAR(40) NOT NULL,
    segment VARCHAR(80) NOT NULL,
    entries INTEGER NOT NULL,
    amount NUMERIC(16, 2) NOT NULL,
    confirmed NUMERIC(16, 2) NOT NULL,
    PRIMARY KEY (account_id, month, driver)
);
CREATE TABLE segment_value_rollup (
    segment VARCHAR(80) NOT NULL,
    month DATE NOT NULL,
    driver VARCHAR(40) NOT NULL,
    entries INTEGER NOT NULL,
    amount NUMERIC(16, 2) NOT NULL,
    confirmed NUMERIC(16, 2) NOT NULL,
    PRIMARY KEY (segment, month, driver)
);
CREATE TABLE account_drift_rollup (
    account_id INTEGER NOT NULL,
    month DATE NOT NULL,
    driver VARCHAR(40) NOT NULL,
    segment VARCHAR(80) NOT NULL,
    rankings INTEGER NOT NULL,
    places INTEGER NOT NULL,
    left_out2 INTEGER NOT NULL,
    firsts INTEGER NOT NULL,
    first_left_out2 INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, driver)
);
CREATE TABLE segment_drift_rollup (
    segment VARCHAR(80) NOT NULL,
    month DATE NOT NULL,
    driver VARCHAR(40) NOT NULL,
    rankings INTEGER NOT NULL,
    places INTEGER NOT NULL,
    left_out2 INTEGER NOT NULL,
    firsts INTEGER NOT NULL,
    first_left_out2 INTEGER NOT NULL,
    PRIMARY KEY (segment, month, driver)
);
-- run by valuetracker.rollups.build.rebuild_all (from 0021_value_rollups.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0021' WHERE alembic_version.version_num = '0020';
-- Running upgrade 0021 -> 0022
CREATE TABLE deal_rollup (
    id SERIAL NOT NULL,
    kind VARCHAR(20) NOT NULL,
    month DATE,
    outcome VARCHAR(20) NOT NULL,
    ref_id INTEGER,
    ref2_id INTEGER,
    label VARCHAR(200),
    n INTEGER NOT NULL,
    amount NUMERIC(18, 2),
    rated INTEGER NOT NULL,
    rating_sum INTEGER NOT NULL,
    weighted INTEGER NOT NULL,
    importance_sum INTEGER NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX ix_deal_rollup_kind_month ON deal_rollup (kind, month);
-- run by valuetracker.rollups.deals.rebuild (from 0022_deal_rollups.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0022' WHERE alembic_version.version_num = '0021';
-- Running upgrade 0022 -> 0023
CREATE TABLE account_coverage_rollup (
    account_id SERIAL NOT NULL,
    key_people INTEGER NOT NULL,
    reachable INTEGER NOT NULL,
    PRIMARY KEY (account_id)
);
CREATE TABLE account_sent_rollup (
    account_id INTEGER NOT NULL,
    quarter VARCHAR(7) NOT NULL,
    sent INTEGER NOT NULL,
    PRIMARY KEY (account_id, quarter)
);
-- run by valuetracker.rollups.coverage.rebuild (from 0023_coverage_rollups.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0023' WHERE alembic_version.version_num = '0022';
-- Running upgrade 0023 -> 0024
CREATE INDEX ix_deal_outcome_amount ON deal (outcome, amount, id);
UPDATE alembic_version SET version_num='0024' WHERE alembic_version.version_num = '0023';
-- Running upgrade 0024 -> 0025
CREATE INDEX ix_deal_outcome_amount_desc ON deal (outcome, amount DESC NULLS LAST, id DESC);
UPDATE alembic_version SET version_num='0025' WHERE alembic_version.version_num = '0024';
COMMIT;
BEGIN;
-- Running downgrade 0025 -> 0024
DROP INDEX ix_deal_outcome_amount_desc;
UPDATE alembic_version SET version_num='0024' WHERE alembic_version.version_num = '0025';
-- Running downgrade 0024 -> 0023
DROP INDEX ix_deal_outcome_amount;
UPDATE alembic_version SET version_num='0023' WHERE alembic_version.version_num = '0024';
-- Running downgrade 0023 -> 0022
DROP TABLE account_sent_rollup;
DROP TABLE account_coverage_rollup;
UPDATE alembic_version SET version_num='0022' WHERE alembic_version.version_num = '0023';
-- Running downgrade 0022 -> 0021
DROP INDEX ix_deal_rollup_kind_month;
DROP TABLE deal_rollup;
UPDATE alembic_version SET version_num='0021' WHERE alembic_version.version_num = '0022';
-- Running downgrade 0021 -> 0020
DROP TABLE segment_value_rollup;
DROP TABLE account_value_rollup;
DROP TABLE segment_drift_rollup;
DROP TABLE account_drift_rollup;
UPDATE alembic_version SET version_num='0020' WHERE alembic_version.version_num = '0021';
-- Running downgrade 0020 -> 0019
DROP INDEX ix_saved_view_user_id;
DROP TABLE saved_view;
UPDATE alembic_version SET version_num='0019' WHERE alembic_version.version_num = '0020';
-- Running downgrade 0019 -> 0018
DROP TRIGGER IF EXISTS search_account ON account;
DROP FUNCTION IF EXISTS search_account();
DROP TRIGGER IF EXISTS search_stakeholder ON stakeholder;
DROP FUNCTION IF EXISTS search_stakeholder();
DROP TRIGGER IF EXISTS search_deal ON deal;
DROP FUNCTION IF EXISTS search_deal();
DROP TRIGGER IF EXISTS search_value_entry ON value_entry;
DROP FUNCTION IF EXISTS search_value_entry();
DROP TRIGGER IF EXISTS search_commitment ON value_commitment;
DROP FUNCTION IF EXISTS search_commitment();
DROP TRIGGER IF EXISTS search_quote ON interview_quote;
DROP FUNCTION IF EXISTS search_quote();
DROP TRIGGER IF EXISTS search_interview ON winloss_interview;
DROP FUNCTION IF EXISTS search_interview();
DROP TABLE IF EXISTS search_document;
UPDATE alembic_version SET version_num='0018' WHERE alembic_version.version_num = '0019';
-- Running downgrade 0018 -> 0017
DROP INDEX ix_deal_closed_analytics;
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id);
ALTER TABLE account DROP COLUMN owner_name;
ALTER TABLE deal DROP COLUMN owner_name;
UPDATE alembic_version SET version_num='0017' WHERE alembic_version.version_num = '0018';
-- Running downgrade 0017 -> 0016
DROP INDEX ix_webhook_delivery_endpoint;
DROP INDEX ix_webhook_delivery_due;
DROP TABLE webhook_delivery;
DROP TABLE webhook_endpoint;
UPDATE alembic_version SET version_num='0016' WHERE alembic_version.version_num = '0017';
-- Running downgrade 0016 -> 0015
DROP INDEX ix_api_token_user_id;
DROP TABLE api_token;
UPDATE alembic_version SET version_num='0015' WHERE alembic_version.version_num = '0016';
-- Running downgrade 0015 -> 0014
ALTER TABLE "user" DROP COLUMN digest_frequency;
DROP INDEX ix_notification_user_read;
DROP INDEX ix_notification_user_created;
DROP INDEX ix_notification_email_due;
DROP INDEX ix_notification_account_id;
DROP TABLE notification;
DROP TABLE notification_preference;
DROP INDEX ix_digest_send_user_id;
DROP TABLE digest_send;
UPDATE alembic_version SET version_num='0014' WHERE alembic_version.version_num = '0015';
-- Running downgrade 0014 -> 0013
DROP INDEX ix_task_comment_task_id;
DROP TABLE task_comment;
DROP INDEX ix_task_signal_id;
DROP INDEX ix_task_assignee_status_due;
DROP INDEX ix_task_account_status;
DROP TABLE task;
UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0014';
-- Running downgrade 0013 -> 0012
DROP TABLE health_snapshot;
DROP INDEX uq_signal_open;
DROP INDEX ix_signal_stakeholder_id;
DROP INDEX ix_signal_opened_at;
DROP INDEX ix_signal_account_cleared;
DROP TABLE signal;
UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0013';
-- Running downgrade 0012 -> 0008
ALTER TABLE stakeholder DROP COLUMN contacted_before_timeline_on;
DROP INDEX ix_activity_stakeholder_stakeholder_id;
DROP TABLE activity_stakeholder;
DROP INDEX ix_activity_user_id;
DROP INDEX ix_activity_account_occurred;
DROP TABLE activity;
UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0012';
-- Running downgrade 0008 -> 0007
ALTER TABLE stakeholder DROP COLUMN opted_out_via;
ALTER TABLE "user" DROP COLUMN title;
UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0008';
-- Running downgrade 0007 -> 0006
ALTER TABLE access_link DROP COLUMN reminded_at;
UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0007';
-- Running downgrade 0006 -> 0005
UPDATE value_entry SET amount = 0 WHERE amount IS NULL;
UPDATE value_entry SET driver = 'strategic' WHERE driver IS NULL;
UPDATE value_entry SET evidence_status = 'claimed' WHERE evidence_status = 'described';
ALTER TABLE value_entry ALTER COLUMN amount SET NOT NULL;
ALTER TABLE value_entry ALTER COLUMN driver SET NOT NULL;
UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0006';
-- Running downgrade 0005 -> 0004
DROP INDEX ix_user_session_user_id;
DROP TABLE user_session;
UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0005';
-- Running downgrade 0004 -> 0003
DROP INDEX uq_stakeholder_account_external_id;
ALTER TABLE setting DROP COLUMN version;
ALTER TABLE "user" DROP COLUMN version;
ALTER TABLE decision_factor DROP COLUMN version;
ALTER TABLE program_rule DROP COLUMN version;
ALTER TABLE guide_question DROP COLUMN version;
ALTER TABLE interview_guide DROP COLUMN version;
ALTER TABLE winloss_interview DROP COLUMN version;
ALTER TABLE value_commitment DROP COLUMN version;
ALTER TABLE value_entry DROP COLUMN version;
UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0004';
-- Running downgrade 0003 -> 0002
DROP INDEX ix_worker_heartbeat_expires_at;
DROP TABLE worker_heartbeat;
UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0003';
-- Running downgrade 0002 -> 0001
DROP INDEX ix_value_entry_account_evidence;
DROP TABLE data_version;
UPDATE alembic_version SET version_num='0001' WHERE alembic_version.version_num = '0002';
-- Running downgrade 0001 ->
DROP INDEX ix_value_confirmation_stakeholder_id;
DROP INDEX ix_value_confirmation_entry_id;
DROP TABLE value_confirmation;
DROP INDEX ix_loyalty_pulse_taken_on;
DROP INDEX ix_loyalty_pulse_stakeholder_taken;
DROP INDEX ix_loyalty_pulse_account_id;
DROP TABLE loyalty_pulse;
DROP INDEX ix_value_entry_beneficiary_stakeholder_id;
DROP TABLE value_entry_beneficiary;
DROP INDEX ix_interview_quote_interview_id;
DROP INDEX ix_interview_quote_factor_id;
DROP TABLE interview_quote;
DROP INDEX ix_interview_answer_interview_id;
DROP TABLE interview_answer;
DROP INDEX ix_factor_rating_interview_id;
DROP INDEX ix_factor_rating_factor_id;
DROP TABLE factor_rating;
DROP INDEX ix_distribution_summary_id;
DROP TABLE distribution;
DROP INDEX ix_access_link_stakeholder_id;
DROP INDEX ix_access_link_deal_id;
DROP INDEX ix_access_link_account_id;
DROP TABLE access_link;
DROP INDEX ix_winloss_interview_status;
DROP INDEX ix_winloss_interview_deal_id;
DROP TABLE winloss_interview;
DROP INDEX ix_value_summary_stakeholder_id;
DROP INDEX ix_value_summary_quarter_account;
DROP TABLE value_summary;
DROP INDEX ix_value_entry_driver;
DROP INDEX ix_value_entry_delivered_on;
DROP INDEX ix_value_entry_commitment_id;
DROP INDEX ix_value_entry_account_delivered;
DROP TABLE value_entry;
DROP INDEX ix_deal_competitor_competitor_id;
DROP TABLE deal_competitor;
DROP INDEX ix_value_commitment_status;
DROP INDEX ix_value_commitment_due_on;
DROP INDEX ix_value_commitment_account_id;
DROP TABLE value_commitment;
DROP INDEX ix_stakeholder_external_id;
DROP INDEX ix_stakeholder_email;
DROP INDEX ix_stakeholder_account_key;
DROP INDEX ix_stakeholder_account_id;
DROP TABLE stakeholder;
DROP INDEX ix_deal_product;
DROP INDEX ix_deal_primary_competitor_id;
DROP INDEX ix_deal_owner_id;
DROP INDEX ix_deal_closed_on;
DROP INDEX ix_deal_closed_analytics;
DROP INDEX ix_deal_account_id;
DROP TABLE deal;
DROP INDEX ix_account_member_user_id;
DROP TABLE account_member;
DROP TABLE program_rule;
DROP TABLE job;
DROP INDEX ix_guide_question_guide_id;
DROP TABLE guide_question;
DROP INDEX ix_audit_event_user_id;
DROP INDEX ix_audit_event_at;
DROP TABLE audit_event;
DROP INDEX ix_account_tier;
DROP INDEX ix_account_status_tier;
DROP INDEX ix_account_status;
DROP INDEX ix_account_slug;
DROP INDEX ix_account_segment;
DROP INDEX ix_account_owner_id;
DROP TABLE account;
DROP INDEX ix_user_email;
DROP TABLE "user";
DROP TABLE setting;
DROP TABLE interview_guide;
DROP TABLE decision_factor;
DROP TABLE competitor;
DELETE FROM alembic_version WHERE alembic_version.version_num = '0001';
COMMIT;
