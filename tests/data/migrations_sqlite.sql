CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)
;
CREATE TABLE competitor (
    id INTEGER NOT NULL,
    name VARCHAR(120) NOT NULL,
    aliases VARCHAR(500),
    PRIMARY KEY (id),
    UNIQUE (name)
)
;
CREATE TABLE decision_factor (
    id INTEGER NOT NULL,
    category VARCHAR(80) NOT NULL,
    name VARCHAR(120) NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (category, name)
)
;
CREATE TABLE interview_guide (
    id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    outcome VARCHAR(20) NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id)
)
;
CREATE TABLE setting (
    "key" VARCHAR(80) NOT NULL,
    value JSON NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY ("key")
)
;
CREATE TABLE user (
    id INTEGER NOT NULL,
    email VARCHAR(255) NOT NULL,
    name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(32) NOT NULL,
    active BOOLEAN NOT NULL,
    last_login_at DATETIME,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id)
)
;
CREATE UNIQUE INDEX ix_user_email ON user (email);
CREATE TABLE account (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(owner_id) REFERENCES user (id),
    PRIMARY KEY (id),
    UNIQUE (external_id),
    UNIQUE (name)
)
;
CREATE INDEX ix_account_owner_id ON account (owner_id);
CREATE INDEX ix_account_segment ON account (segment);
CREATE INDEX ix_account_status ON account (status);
CREATE INDEX ix_account_status_tier ON account (status, tier);
CREATE INDEX ix_account_tier ON account (tier);
CREATE UNIQUE INDEX ix_account_slug ON account (slug);
CREATE TABLE audit_event (
    id INTEGER NOT NULL,
    at DATETIME NOT NULL,
    user_id INTEGER,
    action VARCHAR(40) NOT NULL,
    entity VARCHAR(60) NOT NULL,
    entity_id VARCHAR(64),
    summary VARCHAR(500) NOT NULL,
    details JSON,
    ip VARCHAR(64),
    FOREIGN KEY(user_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_audit_event_at ON audit_event (at);
CREATE INDEX ix_audit_event_user_id ON audit_event (user_id);
CREATE TABLE guide_question (
    id INTEGER NOT NULL,
    guide_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text VARCHAR(500) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    choices VARCHAR(1000),
    factor_id INTEGER,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(guide_id) REFERENCES interview_guide (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_guide_question_guide_id ON guide_question (guide_id);
CREATE TABLE job (
    id INTEGER NOT NULL,
    kind VARCHAR(60) NOT NULL,
    status VARCHAR(20) NOT NULL,
    done INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    error TEXT,
    params JSON,
    result JSON,
    created_by_id INTEGER,
    created_at DATETIME NOT NULL,
    started_at DATETIME,
    finished_at DATETIME,
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE TABLE program_rule (
    id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    outcome VARCHAR(20),
    min_amount NUMERIC(16, 2),
    competitor_id INTEGER,
    segment VARCHAR(80),
    active BOOLEAN NOT NULL,
    FOREIGN KEY(competitor_id) REFERENCES competitor (id),
    PRIMARY KEY (id)
)
;
CREATE TABLE account_member (
    account_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, user_id)
)
;
CREATE INDEX ix_account_member_user_id ON account_member (user_id);
CREATE TABLE deal (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(owner_id) REFERENCES user (id),
    FOREIGN KEY(primary_competitor_id) REFERENCES competitor (id),
    FOREIGN KEY(rep_reason_id) REFERENCES decision_factor (id),
    PRIMARY KEY (id),
    UNIQUE (external_id)
)
;
CREATE INDEX ix_deal_account_id ON deal (account_id);
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id);
CREATE INDEX ix_deal_closed_on ON deal (closed_on);
CREATE INDEX ix_deal_owner_id ON deal (owner_id);
CREATE INDEX ix_deal_primary_competitor_id ON deal (primary_competitor_id);
CREATE INDEX ix_deal_product ON deal (product);
CREATE TABLE stakeholder (
    id INTEGER NOT NULL,
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
    opted_out_at DATETIME,
    left_company_at DATETIME,
    last_contacted_on DATE,
    external_id VARCHAR(100),
    erased_at DATETIME,
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(reports_to_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_stakeholder_account_id ON stakeholder (account_id);
CREATE INDEX ix_stakeholder_account_key ON stakeholder (account_id, is_key);
CREATE INDEX ix_stakeholder_email ON stakeholder (email);
CREATE INDEX ix_stakeholder_external_id ON stakeholder (external_id);
CREATE TABLE value_commitment (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_value_commitment_account_id ON value_commitment (account_id);
CREATE INDEX ix_value_commitment_due_on ON value_commitment (due_on);
CREATE INDEX ix_value_commitment_status ON value_commitment (status);
CREATE TABLE deal_competitor (
    deal_id INTEGER NOT NULL,
    competitor_id INTEGER NOT NULL,
    FOREIGN KEY(competitor_id) REFERENCES competitor (id) ON DELETE CASCADE,
    FOREIGN KEY(deal_id) REFERENCES deal (id) ON DELETE CASCADE,
    PRIMARY KEY (deal_id, competitor_id)
)
;
CREATE INDEX ix_deal_competitor_competitor_id ON deal_competitor (competitor_id);
CREATE TABLE value_entry (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(commitment_id) REFERENCES value_commitment (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_value_entry_account_delivered ON value_entry (account_id, delivered_on);
CREATE INDEX ix_value_entry_commitment_id ON value_entry (commitment_id);
CREATE INDEX ix_value_entry_delivered_on ON value_entry (delivered_on);
CREATE INDEX ix_value_entry_driver ON value_entry (driver);
CREATE TABLE value_summary (
    id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    quarter VARCHAR(7) NOT NULL,
    variant VARCHAR(20) NOT NULL,
    file_path VARCHAR(500) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    generated_at DATETIME NOT NULL,
    generated_by_id INTEGER,
    job_id INTEGER,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(generated_by_id) REFERENCES user (id),
    FOREIGN KEY(job_id) REFERENCES job (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id),
    UNIQUE (account_id, stakeholder_id, quarter, variant)
)
;
CREATE INDEX ix_value_summary_quarter_account ON value_summary (quarter, account_id);
CREATE INDEX ix_value_summary_stakeholder_id ON value_summary (stakeholder_id);
CREATE TABLE winloss_interview (
    id INTEGER NOT NULL,
    deal_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    contact_name VARCHAR(200),
    contact_title VARCHAR(200),
    interviewer_id INTEGER,
    guide_id INTEGER,
    status VARCHAR(20) NOT NULL,
    channel VARCHAR(20),
    anonymity VARCHAR(20) NOT NULL,
    requested_at DATETIME NOT NULL,
    scheduled_for DATETIME,
    completed_at DATETIME,
    primary_reason_id INTEGER,
    notes TEXT,
    rule_id INTEGER,
    FOREIGN KEY(deal_id) REFERENCES deal (id),
    FOREIGN KEY(guide_id) REFERENCES interview_guide (id),
    FOREIGN KEY(interviewer_id) REFERENCES user (id),
    FOREIGN KEY(primary_reason_id) REFERENCES decision_factor (id),
    FOREIGN KEY(rule_id) REFERENCES program_rule (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_winloss_interview_deal_id ON winloss_interview (deal_id);
CREATE INDEX ix_winloss_interview_status ON winloss_interview (status);
CREATE TABLE access_link (
    id INTEGER NOT NULL,
    nonce VARCHAR(64) NOT NULL,
    purpose VARCHAR(30) NOT NULL,
    stakeholder_id INTEGER,
    account_id INTEGER,
    deal_id INTEGER,
    interview_id INTEGER,
    payload JSON,
    created_by_id INTEGER,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME,
    revoked_at DATETIME,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    FOREIGN KEY(deal_id) REFERENCES deal (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id),
    UNIQUE (nonce)
)
;
CREATE INDEX ix_access_link_account_id ON access_link (account_id);
CREATE INDEX ix_access_link_deal_id ON access_link (deal_id);
CREATE INDEX ix_access_link_stakeholder_id ON access_link (stakeholder_id);
CREATE TABLE distribution (
    id INTEGER NOT NULL,
    summary_id INTEGER NOT NULL,
    channel VARCHAR(20) NOT NULL,
    recipient VARCHAR(255),
    status VARCHAR(20) NOT NULL,
    sent_at DATETIME,
    message_id VARCHAR(255),
    error TEXT,
    created_at DATETIME NOT NULL,
    FOREIGN KEY(summary_id) REFERENCES value_summary (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (summary_id, channel)
)
;
CREATE INDEX ix_distribution_summary_id ON distribution (summary_id);
CREATE TABLE factor_rating (
    id INTEGER NOT NULL,
    interview_id INTEGER NOT NULL,
    factor_id INTEGER NOT NULL,
    rating INTEGER,
    importance INTEGER,
    effect VARCHAR(20) NOT NULL,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (interview_id, factor_id)
)
;
CREATE INDEX ix_factor_rating_factor_id ON factor_rating (factor_id);
CREATE INDEX ix_factor_rating_interview_id ON factor_rating (interview_id);
CREATE TABLE interview_answer (
    id INTEGER NOT NULL,
    interview_id INTEGER NOT NULL,
    question_id INTEGER,
    text TEXT,
    rating INTEGER,
    choice VARCHAR(200),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id) ON DELETE CASCADE,
    FOREIGN KEY(question_id) REFERENCES guide_question (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_interview_answer_interview_id ON interview_answer (interview_id);
CREATE TABLE interview_quote (
    id INTEGER NOT NULL,
    interview_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    tags VARCHAR(500),
    factor_id INTEGER,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_interview_quote_factor_id ON interview_quote (factor_id);
CREATE INDEX ix_interview_quote_interview_id ON interview_quote (interview_id);
CREATE TABLE value_entry_beneficiary (
    entry_id INTEGER NOT NULL,
    stakeholder_id INTEGER NOT NULL,
    FOREIGN KEY(entry_id) REFERENCES value_entry (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE CASCADE,
    PRIMARY KEY (entry_id, stakeholder_id)
)
;
CREATE INDEX ix_value_entry_beneficiary_stakeholder_id ON value_entry_beneficiary (stakeholder_id);
CREATE TABLE loyalty_pulse (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(link_id) REFERENCES access_link (id),
    FOREIGN KEY(recorded_by_id) REFERENCES user (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_loyalty_pulse_account_id ON loyalty_pulse (account_id);
CREATE INDEX ix_loyalty_pulse_stakeholder_taken ON loyalty_pulse (stakeholder_id, taken_on);
CREATE INDEX ix_loyalty_pulse_taken_on ON loyalty_pulse (taken_on);
CREATE TABLE value_confirmation (
    id INTEGER NOT NULL,
    entry_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    response VARCHAR(20) NOT NULL,
    adjusted_amount NUMERIC(16, 2),
    comment TEXT,
    method VARCHAR(20) NOT NULL,
    link_id INTEGER,
    recorded_by_id INTEGER,
    responded_at DATETIME NOT NULL,
    FOREIGN KEY(entry_id) REFERENCES value_entry (id) ON DELETE CASCADE,
    FOREIGN KEY(link_id) REFERENCES access_link (id),
    FOREIGN KEY(recorded_by_id) REFERENCES user (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_value_confirmation_entry_id ON value_confirmation (entry_id);
CREATE INDEX ix_value_confirmation_stakeholder_id ON value_confirmation (stakeholder_id);
INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING version_num;
CREATE TABLE data_version (
    id INTEGER NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_value_entry_account_evidence ON value_entry (account_id, evidence_status);
UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';
CREATE TABLE worker_heartbeat (
    id VARCHAR(32) NOT NULL,
    hostname VARCHAR(255) NOT NULL,
    pid INTEGER NOT NULL,
    started_at DATETIME NOT NULL,
    seen_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_worker_heartbeat_expires_at ON worker_heartbeat (expires_at);
UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';
ALTER TABLE value_entry ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE value_commitment ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE winloss_interview ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE interview_guide ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE guide_question ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE program_rule ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE decision_factor ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE user ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
ALTER TABLE setting ADD COLUMN version INTEGER DEFAULT '1' NOT NULL;
SELECT account_id, external_id, COUNT(*) FROM stakeholder WHERE external_id IS NOT NULL GROUP BY account_id, external_id HAVING COUNT(*) > 1;
CREATE UNIQUE INDEX uq_stakeholder_account_external_id ON stakeholder (account_id, external_id);
UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';
CREATE TABLE user_session (
    id VARCHAR(64) NOT NULL,
    user_id INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    ended_at DATETIME,
    ip VARCHAR(64),
    user_agent VARCHAR(255),
    FOREIGN KEY(user_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_user_session_user_id ON user_session (user_id);
UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';
CREATE TABLE _alembic_tmp_value_entry (
    id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    title VARCHAR(200) NOT NULL,
    description TEXT,
    driver VARCHAR(32),
    amount NUMERIC(16, 2),
    unit VARCHAR(16) NOT NULL,
    delivered_on DATE NOT NULL,
    evidence_status VARCHAR(20) NOT NULL,
    source VARCHAR(200),
    commitment_id INTEGER,
    created_by_id INTEGER,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    version INTEGER DEFAULT '1' NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(commitment_id) REFERENCES value_commitment (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_value_entry (id, account_id, title, description, driver, amount, unit, delivered_on, evidence_status, source, commitment_id, created_by_id, created_at, updated_at, version) SELECT value_entry.id, value_entry.account_id, value_entry.title, value_entry.description, value_entry.driver, value_entry.amount, value_entry.unit, value_entry.delivered_on, value_entry.evidence_status, value_entry.source, value_entry.commitment_id, value_entry.created_by_id, value_entry.created_at, value_entry.updated_at, value_entry.version
FROM value_entry;
DROP TABLE value_entry;
ALTER TABLE _alembic_tmp_value_entry RENAME TO value_entry;
CREATE INDEX ix_value_entry_account_delivered ON value_entry (account_id, delivered_on);
CREATE INDEX ix_value_entry_account_evidence ON value_entry (account_id, evidence_status);
CREATE INDEX ix_value_entry_commitment_id ON value_entry (commitment_id);
CREATE INDEX ix_value_entry_delivered_on ON value_entry (delivered_on);
CREATE INDEX ix_value_entry_driver ON value_entry (driver);
UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005';
ALTER TABLE access_link ADD COLUMN reminded_at DATETIME;
UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006';
ALTER TABLE user ADD COLUMN title VARCHAR(200);
ALTER TABLE stakeholder ADD COLUMN opted_out_via VARCHAR(30);
UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';
CREATE TABLE activity (
    id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    kind VARCHAR(20) NOT NULL,
    occurred_on DATE NOT NULL,
    user_id INTEGER,
    summary TEXT NOT NULL,
    outcome TEXT,
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(user_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_activity_account_occurred ON activity (account_id, occurred_on);
CREATE INDEX ix_activity_user_id ON activity (user_id);
CREATE TABLE activity_stakeholder (
    activity_id INTEGER NOT NULL,
    stakeholder_id INTEGER NOT NULL,
    FOREIGN KEY(activity_id) REFERENCES activity (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, stakeholder_id)
)
;
CREATE INDEX ix_activity_stakeholder_stakeholder_id ON activity_stakeholder (stakeholder_id);
ALTER TABLE stakeholder ADD COLUMN contacted_before_timeline_on DATE;
UPDATE stakeholder SET contacted_before_timeline_on = last_contacted_on;
UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0008';
CREATE TABLE signal (
    id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    kind VARCHAR(40) NOT NULL,
    severity VARCHAR(10) NOT NULL,
    "key" VARCHAR(80) NOT NULL,
    stakeholder_id INTEGER,
    subject_type VARCHAR(40),
    subject_id INTEGER,
    message TEXT NOT NULL,
    since DATE NOT NULL,
    opened_at DATETIME NOT NULL,
    cleared_at DATETIME,
    details JSON,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE SET NULL,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_signal_account_cleared ON signal (account_id, cleared_at);
CREATE INDEX ix_signal_opened_at ON signal (opened_at);
CREATE INDEX ix_signal_stakeholder_id ON signal (stakeholder_id);
CREATE UNIQUE INDEX uq_signal_open ON signal (account_id, kind, "key") WHERE cleared_at IS NULL;
CREATE TABLE health_snapshot (
    id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    week DATE NOT NULL,
    score INTEGER NOT NULL,
    band VARCHAR(10) NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (account_id, week)
)
;
UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0012';
CREATE TABLE task (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    done_at DATETIME,
    version INTEGER NOT NULL,
    CONSTRAINT uq_task_signal_play UNIQUE (signal_id, play),
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(assignee_id) REFERENCES user (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    FOREIGN KEY(signal_id) REFERENCES signal (id) ON DELETE SET NULL,
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id) ON DELETE SET NULL,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_task_account_status ON task (account_id, status);
CREATE INDEX ix_task_assignee_status_due ON task (assignee_id, status, due_on);
CREATE INDEX ix_task_signal_id ON task (signal_id);
CREATE TABLE task_comment (
    id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    author_id INTEGER,
    text TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    FOREIGN KEY(author_id) REFERENCES user (id),
    FOREIGN KEY(task_id) REFERENCES task (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_task_comment_task_id ON task_comment (task_id);
UPDATE alembic_version SET version_num='0014' WHERE alembic_version.version_num = '0013';
CREATE TABLE digest_send (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    period VARCHAR(10) NOT NULL,
    period_key VARCHAR(10) NOT NULL,
    status VARCHAR(10) NOT NULL,
    window_start DATETIME NOT NULL,
    window_end DATETIME NOT NULL,
    counts JSON,
    created_at DATETIME NOT NULL,
    sent_at DATETIME,
    message_id VARCHAR(255),
    error TEXT,
    FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE,
    PRIMARY KEY (id),
    UNIQUE (user_id, period, period_key)
)
;
CREATE INDEX ix_digest_send_user_id ON digest_send (user_id);
CREATE TABLE notification_preference (
    user_id INTEGER NOT NULL,
    event VARCHAR(40) NOT NULL,
    channel VARCHAR(20) NOT NULL,
    enabled BOOLEAN NOT NULL,
    FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, event, channel)
)
;
CREATE TABLE notification (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    event VARCHAR(40) NOT NULL,
    account_id INTEGER,
    entity VARCHAR(60) NOT NULL,
    entity_id INTEGER,
    text VARCHAR(500) NOT NULL,
    url VARCHAR(500) NOT NULL,
    in_app BOOLEAN NOT NULL,
    email BOOLEAN NOT NULL,
    created_at DATETIME NOT NULL,
    read_at DATETIME,
    emailed_at DATETIME,
    email_attempts INTEGER NOT NULL,
    email_error TEXT,
    FOREIGN KEY(account_id) REFERENCES account (id) ON DELETE CASCADE,
    FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_notification_account_id ON notification (account_id);
CREATE INDEX ix_notification_email_due ON notification (email, emailed_at);
CREATE INDEX ix_notification_user_created ON notification (user_id, created_at);
CREATE INDEX ix_notification_user_read ON notification (user_id, read_at);
ALTER TABLE user ADD COLUMN digest_frequency VARCHAR(10) DEFAULT 'daily' NOT NULL;
UPDATE alembic_version SET version_num='0015' WHERE alembic_version.version_num = '0014';
CREATE TABLE api_token (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    scope VARCHAR(10) NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME,
    last_used_at DATETIME,
    revoked_at DATETIME,
    FOREIGN KEY(user_id) REFERENCES user (id),
    PRIMARY KEY (id),
    UNIQUE (token_hash)
)
;
CREATE INDEX ix_api_token_user_id ON api_token (user_id);
UPDATE alembic_version SET version_num='0016' WHERE alembic_version.version_num = '0015';
CREATE TABLE webhook_endpoint (
    id INTEGER NOT NULL,
    url VARCHAR(2000) NOT NULL,
    description VARCHAR(200),
    events JSON NOT NULL,
    secret VARCHAR(100) NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_by_id INTEGER,
    failing_since DATETIME,
    disabled_reason VARCHAR(500),
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE TABLE webhook_delivery (
    id INTEGER NOT NULL,
    endpoint_id INTEGER NOT NULL,
    event_id VARCHAR(40) NOT NULL,
    event VARCHAR(60) NOT NULL,
    body TEXT NOT NULL,
    status VARCHAR(20) NOT NULL,
    attempt INTEGER NOT NULL,
    next_attempt_at DATETIME,
    last_attempt_at DATETIME,
    response_code INTEGER,
    duration_ms INTEGER,
    response_body TEXT,
    error VARCHAR(500),
    replay_of_id INTEGER,
    created_at DATETIME NOT NULL,
    FOREIGN KEY(endpoint_id) REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_webhook_delivery_due ON webhook_delivery (status, next_attempt_at);
CREATE INDEX ix_webhook_delivery_endpoint ON webhook_delivery (endpoint_id, id);
UPDATE alembic_version SET version_num='0017' WHERE alembic_version.version_num = '0016';
ALTER TABLE deal ADD COLUMN owner_name VARCHAR(200);
ALTER TABLE account ADD COLUMN owner_name VARCHAR(200);
DROP INDEX ix_deal_closed_analytics;
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id, owner_name);
UPDATE alembic_version SET version_num='0018' WHERE alembic_version.version_num = '0017';
-- run by valuetracker.search.install_index (from 0019_search_index.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0019' WHERE alembic_version.version_num = '0018';
CREATE TABLE saved_view (
    id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    name VARCHAR(80) NOT NULL,
    endpoint VARCHAR(80) NOT NULL,
    "query" VARCHAR(2000) NOT NULL,
    created_at DATETIME NOT NULL,
    CONSTRAINT uq_saved_view_user_name UNIQUE (user_id, name),
    FOREIGN KEY(user_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
CREATE INDEX ix_saved_view_user_id ON saved_view (user_id);
UPDATE alembic_version SET version_num='0020' WHERE alembic_version.version_num = '0019';
CREATE TABLE account_value_rollup (
    account_id INTEGER NOT NULL,
    month DATE NOT NULL,
    driver VARCHAR(40) NOT NULL,
    segment VARCHAR(80) NOT NULL,
    entries INTEGER NOT NULL,
    amount NUMERIC(16, 2) NOT NULL,
    confirmed NUMERIC(16, 2) NOT NULL,
    PRIMARY KEY (account_id, month, driver)
)
;
CREATE TABLE segment_value_rollup (
    segment VARCHAR(80) NOT NULL,
    month DATE NOT NULL,
    driver VARCHAR(40) NOT NULL,
    entries INTEGER NOT NULL,
    amount NUMERIC(16, 2) NOT NULL,
    confirmed NUMERIC(16, 2) NOT NULL,
    PRIMARY KEY (segment, month, driver)
)
;
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
)
;
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
)
;
-- run by valuetracker.rollups.build.rebuild_all (from 0021_value_rollups.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0021' WHERE alembic_version.version_num = '0020';
CREATE TABLE deal_rollup (
    id INTEGER NOT NULL,
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
)
;
CREATE INDEX ix_deal_rollup_kind_month ON deal_rollup (kind, month);
-- run by valuetracker.rollups.deals.rebuild (from 0022_deal_rollups.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0022' WHERE alembic_version.version_num = '0021';
CREATE TABLE account_coverage_rollup (
    account_id INTEGER NOT NULL,
    key_people INTEGER NOT NULL,
    reachable INTEGER NOT NULL,
    PRIMARY KEY (account_id)
)
;
CREATE TABLE account_sent_rollup (
    account_id INTEGER NOT NULL,
    quarter VARCHAR(7) NOT NULL,
    sent INTEGER NOT NULL,
    PRIMARY KEY (account_id, quarter)
)
;
-- run by valuetracker.rollups.coverage.rebuild (from 0023_coverage_rollups.py): its SQL is not frozen here
UPDATE alembic_version SET version_num='0023' WHERE alembic_version.version_num = '0022';
CREATE INDEX ix_deal_outcome_amount ON deal (outcome, amount, id);
UPDATE alembic_version SET version_num='0024' WHERE alembic_version.version_num = '0023';
UPDATE alembic_version SET version_num='0025' WHERE alembic_version.version_num = '0024';
SELECT alembic_version.version_num
FROM alembic_version;
UPDATE alembic_version SET version_num='0024' WHERE alembic_version.version_num = '0025';
DROP INDEX ix_deal_outcome_amount;
UPDATE alembic_version SET version_num='0023' WHERE alembic_version.version_num = '0024';
DROP TABLE account_sent_rollup;
DROP TABLE account_coverage_rollup;
UPDATE alembic_version SET version_num='0022' WHERE alembic_version.version_num = '0023';
DROP INDEX ix_deal_rollup_kind_month;
DROP TABLE deal_rollup;
UPDATE alembic_version SET version_num='0021' WHERE alembic_version.version_num = '0022';
DROP TABLE segment_value_rollup;
DROP TABLE account_value_rollup;
DROP TABLE segment_drift_rollup;
DROP TABLE account_drift_rollup;
UPDATE alembic_version SET version_num='0020' WHERE alembic_version.version_num = '0021';
DROP INDEX ix_saved_view_user_id;
DROP TABLE saved_view;
UPDATE alembic_version SET version_num='0019' WHERE alembic_version.version_num = '0020';
DROP TRIGGER IF EXISTS search_account_insert;
DROP TRIGGER IF EXISTS search_account_update;
DROP TRIGGER IF EXISTS search_account_delete;
DROP TRIGGER IF EXISTS search_stakeholder_insert;
DROP TRIGGER IF EXISTS search_stakeholder_update;
DROP TRIGGER IF EXISTS search_stakeholder_delete;
DROP TRIGGER IF EXISTS search_deal_insert;
DROP TRIGGER IF EXISTS search_deal_update;
DROP TRIGGER IF EXISTS search_deal_delete;
DROP TRIGGER IF EXISTS search_value_entry_insert;
DROP TRIGGER IF EXISTS search_value_entry_update;
DROP TRIGGER IF EXISTS search_value_entry_delete;
DROP TRIGGER IF EXISTS search_commitment_insert;
DROP TRIGGER IF EXISTS search_commitment_update;
DROP TRIGGER IF EXISTS search_commitment_delete;
DROP TRIGGER IF EXISTS search_quote_insert;
DROP TRIGGER IF EXISTS search_quote_update;
DROP TRIGGER IF EXISTS search_quote_delete;
DROP TRIGGER IF EXISTS search_interview_insert;
DROP TRIGGER IF EXISTS search_interview_update;
DROP TRIGGER IF EXISTS search_interview_delete;
DROP TABLE IF EXISTS search_index;
UPDATE alembic_version SET version_num='0018' WHERE alembic_version.version_num = '0019';
DROP INDEX ix_deal_closed_analytics;
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id);
CREATE TABLE _alembic_tmp_account (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(owner_id) REFERENCES user (id),
    PRIMARY KEY (id),
    UNIQUE (external_id),
    UNIQUE (name)
)
;
INSERT INTO _alembic_tmp_account (id, name, slug, segment, industry, tier, status, owner_id, annual_revenue, cost_to_serve, renewal_date, external_id, version, created_at, updated_at) SELECT account.id, account.name, account.slug, account.segment, account.industry, account.tier, account.status, account.owner_id, account.annual_revenue, account.cost_to_serve, account.renewal_date, account.external_id, account.version, account.created_at, account.updated_at
FROM account;
DROP TABLE account;
ALTER TABLE _alembic_tmp_account RENAME TO account;
CREATE INDEX ix_account_owner_id ON account (owner_id);
CREATE INDEX ix_account_segment ON account (segment);
CREATE INDEX ix_account_status ON account (status);
CREATE INDEX ix_account_status_tier ON account (status, tier);
CREATE INDEX ix_account_tier ON account (tier);
CREATE UNIQUE INDEX ix_account_slug ON account (slug);
CREATE TABLE _alembic_tmp_deal (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(owner_id) REFERENCES user (id),
    FOREIGN KEY(primary_competitor_id) REFERENCES competitor (id),
    FOREIGN KEY(rep_reason_id) REFERENCES decision_factor (id),
    PRIMARY KEY (id),
    UNIQUE (external_id)
)
;
INSERT INTO _alembic_tmp_deal (id, account_id, name, external_id, amount, product, owner_id, opened_on, closed_on, outcome, primary_competitor_id, rep_reason_id, rep_notes, version, created_at, updated_at) SELECT deal.id, deal.account_id, deal.name, deal.external_id, deal.amount, deal.product, deal.owner_id, deal.opened_on, deal.closed_on, deal.outcome, deal.primary_competitor_id, deal.rep_reason_id, deal.rep_notes, deal.version, deal.created_at, deal.updated_at
FROM deal;
DROP TABLE deal;
ALTER TABLE _alembic_tmp_deal RENAME TO deal;
CREATE INDEX ix_deal_account_id ON deal (account_id);
CREATE INDEX ix_deal_closed_analytics ON deal (outcome, closed_on, account_id, rep_reason_id, amount, owner_id, product, id);
CREATE INDEX ix_deal_closed_on ON deal (closed_on);
CREATE INDEX ix_deal_owner_id ON deal (owner_id);
CREATE INDEX ix_deal_primary_competitor_id ON deal (primary_competitor_id);
CREATE INDEX ix_deal_product ON deal (product);
UPDATE alembic_version SET version_num='0017' WHERE alembic_version.version_num = '0018';
DROP INDEX ix_webhook_delivery_endpoint;
DROP INDEX ix_webhook_delivery_due;
DROP TABLE webhook_delivery;
DROP TABLE webhook_endpoint;
UPDATE alembic_version SET version_num='0016' WHERE alembic_version.version_num = '0017';
DROP INDEX ix_api_token_user_id;
DROP TABLE api_token;
UPDATE alembic_version SET version_num='0015' WHERE alembic_version.version_num = '0016';
CREATE TABLE _alembic_tmp_user (
    id INTEGER NOT NULL,
    email VARCHAR(255) NOT NULL,
    name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(32) NOT NULL,
    active BOOLEAN NOT NULL,
    last_login_at DATETIME,
    created_at DATETIME NOT NULL,
    version INTEGER DEFAULT '1' NOT NULL,
    title VARCHAR(200),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_user (id, email, name, password_hash, role, active, last_login_at, created_at, version, title) SELECT user.id, user.email, user.name, user.password_hash, user.role, user.active, user.last_login_at, user.created_at, user.version, user.title
FROM user;
DROP TABLE user;
ALTER TABLE _alembic_tmp_user RENAME TO user;
CREATE UNIQUE INDEX ix_user_email ON user (email);
DROP INDEX ix_notification_user_read;
DROP INDEX ix_notification_user_created;
DROP INDEX ix_notification_email_due;
DROP INDEX ix_notification_account_id;
DROP TABLE notification;
DROP TABLE notification_preference;
DROP INDEX ix_digest_send_user_id;
DROP TABLE digest_send;
UPDATE alembic_version SET version_num='0014' WHERE alembic_version.version_num = '0015';
DROP INDEX ix_task_comment_task_id;
DROP TABLE task_comment;
DROP INDEX ix_task_signal_id;
DROP INDEX ix_task_assignee_status_due;
DROP INDEX ix_task_account_status;
DROP TABLE task;
UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0014';
DROP TABLE health_snapshot;
DROP INDEX uq_signal_open;
DROP INDEX ix_signal_stakeholder_id;
DROP INDEX ix_signal_opened_at;
DROP INDEX ix_signal_account_cleared;
DROP TABLE signal;
UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0013';
CREATE TABLE _alembic_tmp_stakeholder (
    id INTEGER NOT NULL,
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
    opted_out_at DATETIME,
    left_company_at DATETIME,
    last_contacted_on DATE,
    external_id VARCHAR(100),
    erased_at DATETIME,
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    opted_out_via VARCHAR(30),
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(reports_to_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_stakeholder (id, account_id, name, title, email, phone, buying_role, influence, sentiment, is_key, reports_to_id, preferences, notes, preferred_channel, opted_out_at, left_company_at, last_contacted_on, external_id, erased_at, version, created_at, updated_at, opted_out_via) SELECT stakeholder.id, stakeholder.account_id, stakeholder.name, stakeholder.title, stakeholder.email, stakeholder.phone, stakeholder.buying_role, stakeholder.influence, stakeholder.sentiment, stakeholder.is_key, stakeholder.reports_to_id, stakeholder.preferences, stakeholder.notes, stakeholder.preferred_channel, stakeholder.opted_out_at, stakeholder.left_company_at, stakeholder.last_contacted_on, stakeholder.external_id, stakeholder.erased_at, stakeholder.version, stakeholder.created_at, stakeholder.updated_at, stakeholder.opted_out_via
FROM stakeholder;
DROP TABLE stakeholder;
ALTER TABLE _alembic_tmp_stakeholder RENAME TO stakeholder;
CREATE INDEX ix_stakeholder_account_id ON stakeholder (account_id);
CREATE INDEX ix_stakeholder_account_key ON stakeholder (account_id, is_key);
CREATE INDEX ix_stakeholder_email ON stakeholder (email);
CREATE INDEX ix_stakeholder_external_id ON stakeholder (external_id);
CREATE UNIQUE INDEX uq_stakeholder_account_external_id ON stakeholder (account_id, external_id);
DROP INDEX ix_activity_stakeholder_stakeholder_id;
DROP TABLE activity_stakeholder;
DROP INDEX ix_activity_user_id;
DROP INDEX ix_activity_account_occurred;
DROP TABLE activity;
UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0012';
CREATE TABLE _alembic_tmp_stakeholder (
    id INTEGER NOT NULL,
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
    opted_out_at DATETIME,
    left_company_at DATETIME,
    last_contacted_on DATE,
    external_id VARCHAR(100),
    erased_at DATETIME,
    version INTEGER NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(reports_to_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_stakeholder (id, account_id, name, title, email, phone, buying_role, influence, sentiment, is_key, reports_to_id, preferences, notes, preferred_channel, opted_out_at, left_company_at, last_contacted_on, external_id, erased_at, version, created_at, updated_at) SELECT stakeholder.id, stakeholder.account_id, stakeholder.name, stakeholder.title, stakeholder.email, stakeholder.phone, stakeholder.buying_role, stakeholder.influence, stakeholder.sentiment, stakeholder.is_key, stakeholder.reports_to_id, stakeholder.preferences, stakeholder.notes, stakeholder.preferred_channel, stakeholder.opted_out_at, stakeholder.left_company_at, stakeholder.last_contacted_on, stakeholder.external_id, stakeholder.erased_at, stakeholder.version, stakeholder.created_at, stakeholder.updated_at
FROM stakeholder;
DROP TABLE stakeholder;
ALTER TABLE _alembic_tmp_stakeholder RENAME TO stakeholder;
CREATE INDEX ix_stakeholder_account_id ON stakeholder (account_id);
CREATE INDEX ix_stakeholder_account_key ON stakeholder (account_id, is_key);
CREATE INDEX ix_stakeholder_email ON stakeholder (email);
CREATE INDEX ix_stakeholder_external_id ON stakeholder (external_id);
CREATE UNIQUE INDEX uq_stakeholder_account_external_id ON stakeholder (account_id, external_id);
CREATE TABLE _alembic_tmp_user (
    id INTEGER NOT NULL,
    email VARCHAR(255) NOT NULL,
    name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(32) NOT NULL,
    active BOOLEAN NOT NULL,
    last_login_at DATETIME,
    created_at DATETIME NOT NULL,
    version INTEGER DEFAULT '1' NOT NULL,
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_user (id, email, name, password_hash, role, active, last_login_at, created_at, version) SELECT user.id, user.email, user.name, user.password_hash, user.role, user.active, user.last_login_at, user.created_at, user.version
FROM user;
DROP TABLE user;
ALTER TABLE _alembic_tmp_user RENAME TO user;
CREATE UNIQUE INDEX ix_user_email ON user (email);
UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0008';
CREATE TABLE _alembic_tmp_access_link (
    id INTEGER NOT NULL,
    nonce VARCHAR(64) NOT NULL,
    purpose VARCHAR(30) NOT NULL,
    stakeholder_id INTEGER,
    account_id INTEGER,
    deal_id INTEGER,
    interview_id INTEGER,
    payload JSON,
    created_by_id INTEGER,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME,
    revoked_at DATETIME,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    FOREIGN KEY(deal_id) REFERENCES deal (id),
    FOREIGN KEY(interview_id) REFERENCES winloss_interview (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id),
    UNIQUE (nonce)
)
;
INSERT INTO _alembic_tmp_access_link (id, nonce, purpose, stakeholder_id, account_id, deal_id, interview_id, payload, created_by_id, created_at, expires_at, used_at, revoked_at) SELECT access_link.id, access_link.nonce, access_link.purpose, access_link.stakeholder_id, access_link.account_id, access_link.deal_id, access_link.interview_id, access_link.payload, access_link.created_by_id, access_link.created_at, access_link.expires_at, access_link.used_at, access_link.revoked_at
FROM access_link;
DROP TABLE access_link;
ALTER TABLE _alembic_tmp_access_link RENAME TO access_link;
CREATE INDEX ix_access_link_account_id ON access_link (account_id);
CREATE INDEX ix_access_link_deal_id ON access_link (deal_id);
CREATE INDEX ix_access_link_stakeholder_id ON access_link (stakeholder_id);
UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0007';
UPDATE value_entry SET amount = 0 WHERE amount IS NULL;
UPDATE value_entry SET driver = 'strategic' WHERE driver IS NULL;
UPDATE value_entry SET evidence_status = 'claimed' WHERE evidence_status = 'described';
CREATE TABLE _alembic_tmp_value_entry (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    version INTEGER DEFAULT '1' NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(commitment_id) REFERENCES value_commitment (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_value_entry (id, account_id, title, description, driver, amount, unit, delivered_on, evidence_status, source, commitment_id, created_by_id, created_at, updated_at, version) SELECT value_entry.id, value_entry.account_id, value_entry.title, value_entry.description, value_entry.driver, value_entry.amount, value_entry.unit, value_entry.delivered_on, value_entry.evidence_status, value_entry.source, value_entry.commitment_id, value_entry.created_by_id, value_entry.created_at, value_entry.updated_at, value_entry.version
FROM value_entry;
DROP TABLE value_entry;
ALTER TABLE _alembic_tmp_value_entry RENAME TO value_entry;
CREATE INDEX ix_value_entry_account_delivered ON value_entry (account_id, delivered_on);
CREATE INDEX ix_value_entry_account_evidence ON value_entry (account_id, evidence_status);
CREATE INDEX ix_value_entry_commitment_id ON value_entry (commitment_id);
CREATE INDEX ix_value_entry_delivered_on ON value_entry (delivered_on);
CREATE INDEX ix_value_entry_driver ON value_entry (driver);
UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0006';
DROP INDEX ix_user_session_user_id;
DROP TABLE user_session;
UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0005';
DROP INDEX uq_stakeholder_account_external_id;
CREATE TABLE _alembic_tmp_setting (
    "key" VARCHAR(80) NOT NULL,
    value JSON NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY ("key")
)
;
INSERT INTO _alembic_tmp_setting ("key", value, updated_at) SELECT setting."key", setting.value, setting.updated_at
FROM setting;
DROP TABLE setting;
ALTER TABLE _alembic_tmp_setting RENAME TO setting;
CREATE TABLE _alembic_tmp_user (
    id INTEGER NOT NULL,
    email VARCHAR(255) NOT NULL,
    name VARCHAR(200) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(32) NOT NULL,
    active BOOLEAN NOT NULL,
    last_login_at DATETIME,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_user (id, email, name, password_hash, role, active, last_login_at, created_at) SELECT user.id, user.email, user.name, user.password_hash, user.role, user.active, user.last_login_at, user.created_at
FROM user;
DROP TABLE user;
ALTER TABLE _alembic_tmp_user RENAME TO user;
CREATE UNIQUE INDEX ix_user_email ON user (email);
CREATE TABLE _alembic_tmp_decision_factor (
    id INTEGER NOT NULL,
    category VARCHAR(80) NOT NULL,
    name VARCHAR(120) NOT NULL,
    position INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (category, name)
)
;
INSERT INTO _alembic_tmp_decision_factor (id, category, name, position, active) SELECT decision_factor.id, decision_factor.category, decision_factor.name, decision_factor.position, decision_factor.active
FROM decision_factor;
DROP TABLE decision_factor;
ALTER TABLE _alembic_tmp_decision_factor RENAME TO decision_factor;
CREATE TABLE _alembic_tmp_program_rule (
    id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    outcome VARCHAR(20),
    min_amount NUMERIC(16, 2),
    competitor_id INTEGER,
    segment VARCHAR(80),
    active BOOLEAN NOT NULL,
    FOREIGN KEY(competitor_id) REFERENCES competitor (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_program_rule (id, name, outcome, min_amount, competitor_id, segment, active) SELECT program_rule.id, program_rule.name, program_rule.outcome, program_rule.min_amount, program_rule.competitor_id, program_rule.segment, program_rule.active
FROM program_rule;
DROP TABLE program_rule;
ALTER TABLE _alembic_tmp_program_rule RENAME TO program_rule;
CREATE TABLE _alembic_tmp_guide_question (
    id INTEGER NOT NULL,
    guide_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text VARCHAR(500) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    choices VARCHAR(1000),
    factor_id INTEGER,
    FOREIGN KEY(factor_id) REFERENCES decision_factor (id),
    FOREIGN KEY(guide_id) REFERENCES interview_guide (id) ON DELETE CASCADE,
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_guide_question (id, guide_id, position, text, kind, choices, factor_id) SELECT guide_question.id, guide_question.guide_id, guide_question.position, guide_question.text, guide_question.kind, guide_question.choices, guide_question.factor_id
FROM guide_question;
DROP TABLE guide_question;
ALTER TABLE _alembic_tmp_guide_question RENAME TO guide_question;
CREATE INDEX ix_guide_question_guide_id ON guide_question (guide_id);
CREATE TABLE _alembic_tmp_interview_guide (
    id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    outcome VARCHAR(20) NOT NULL,
    active BOOLEAN NOT NULL,
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_interview_guide (id, name, outcome, active) SELECT interview_guide.id, interview_guide.name, interview_guide.outcome, interview_guide.active
FROM interview_guide;
DROP TABLE interview_guide;
ALTER TABLE _alembic_tmp_interview_guide RENAME TO interview_guide;
CREATE TABLE _alembic_tmp_winloss_interview (
    id INTEGER NOT NULL,
    deal_id INTEGER NOT NULL,
    stakeholder_id INTEGER,
    contact_name VARCHAR(200),
    contact_title VARCHAR(200),
    interviewer_id INTEGER,
    guide_id INTEGER,
    status VARCHAR(20) NOT NULL,
    channel VARCHAR(20),
    anonymity VARCHAR(20) NOT NULL,
    requested_at DATETIME NOT NULL,
    scheduled_for DATETIME,
    completed_at DATETIME,
    primary_reason_id INTEGER,
    notes TEXT,
    rule_id INTEGER,
    FOREIGN KEY(deal_id) REFERENCES deal (id),
    FOREIGN KEY(guide_id) REFERENCES interview_guide (id),
    FOREIGN KEY(interviewer_id) REFERENCES user (id),
    FOREIGN KEY(primary_reason_id) REFERENCES decision_factor (id),
    FOREIGN KEY(rule_id) REFERENCES program_rule (id),
    FOREIGN KEY(stakeholder_id) REFERENCES stakeholder (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_winloss_interview (id, deal_id, stakeholder_id, contact_name, contact_title, interviewer_id, guide_id, status, channel, anonymity, requested_at, scheduled_for, completed_at, primary_reason_id, notes, rule_id) SELECT winloss_interview.id, winloss_interview.deal_id, winloss_interview.stakeholder_id, winloss_interview.contact_name, winloss_interview.contact_title, winloss_interview.interviewer_id, winloss_interview.guide_id, winloss_interview.status, winloss_interview.channel, winloss_interview.anonymity, winloss_interview.requested_at, winloss_interview.scheduled_for, winloss_interview.completed_at, winloss_interview.primary_reason_id, winloss_interview.notes, winloss_interview.rule_id
FROM winloss_interview;
DROP TABLE winloss_interview;
ALTER TABLE _alembic_tmp_winloss_interview RENAME TO winloss_interview;
CREATE INDEX ix_winloss_interview_deal_id ON winloss_interview (deal_id);
CREATE INDEX ix_winloss_interview_status ON winloss_interview (status);
CREATE TABLE _alembic_tmp_value_commitment (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_value_commitment (id, account_id, title, description, driver, expected_amount, unit, due_on, status, delivered_on, created_by_id, created_at, updated_at) SELECT value_commitment.id, value_commitment.account_id, value_commitment.title, value_commitment.description, value_commitment.driver, value_commitment.expected_amount, value_commitment.unit, value_commitment.due_on, value_commitment.status, value_commitment.delivered_on, value_commitment.created_by_id, value_commitment.created_at, value_commitment.updated_at
FROM value_commitment;
DROP TABLE value_commitment;
ALTER TABLE _alembic_tmp_value_commitment RENAME TO value_commitment;
CREATE INDEX ix_value_commitment_account_id ON value_commitment (account_id);
CREATE INDEX ix_value_commitment_due_on ON value_commitment (due_on);
CREATE INDEX ix_value_commitment_status ON value_commitment (status);
CREATE TABLE _alembic_tmp_value_entry (
    id INTEGER NOT NULL,
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
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    FOREIGN KEY(account_id) REFERENCES account (id),
    FOREIGN KEY(commitment_id) REFERENCES value_commitment (id),
    FOREIGN KEY(created_by_id) REFERENCES user (id),
    PRIMARY KEY (id)
)
;
INSERT INTO _alembic_tmp_value_entry (id, account_id, title, description, driver, amount, unit, delivered_on, evidence_status, source, commitment_id, created_by_id, created_at, updated_at) SELECT value_entry.id, value_entry.account_id, value_entry.title, value_entry.description, value_entry.driver, value_entry.amount, value_entry.unit, value_entry.delivered_on, value_entry.evidence_status, value_entry.source, value_entry.commitment_id, value_entry.created_by_id, value_entry.created_at, value_entry.updated_at
FROM value_entry;
DROP TABLE value_entry;
ALTER TABLE _alembic_tmp_value_entry RENAME TO value_entry;
CREATE INDEX ix_value_entry_account_delivered ON value_entry (account_id, delivered_on);
CREATE INDEX ix_value_entry_account_evidence ON value_entry (account_id, evidence_status);
CREATE INDEX ix_value_entry_commitment_id ON value_entry (commitment_id);
CREATE INDEX ix_value_entry_delivered_on ON value_entry (delivered_on);
CREATE INDEX ix_value_entry_driver ON value_entry (driver);
UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0004';
DROP INDEX ix_worker_heartbeat_expires_at;
DROP TABLE worker_heartbeat;
UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0003';
DROP INDEX ix_value_entry_account_evidence;
DROP TABLE data_version;
UPDATE alembic_version SET version_num='0001' WHERE alembic_version.version_num = '0002';
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
DROP TABLE user;
DROP TABLE setting;
DROP TABLE interview_guide;
DROP TABLE decision_factor;
DROP TABLE competitor;
DELETE FROM alembic_version WHERE alembic_version.version_num = '0001';
