-- Churn signals: support pressure and survey scores per contact, refreshed nightly.
-- The temporary table is followed through: lineage runs from the CRM tables to the report.
CREATE TEMP TABLE contact_signals AS
SELECT t.contact_id,
       count(t.id) AS open_tickets,
       avg(s.score) AS avg_score
FROM crm.main.support_tickets t
LEFT JOIN crm.main.surveys s ON s.contact_id = t.contact_id
WHERE t.status <> 'closed'
GROUP BY t.contact_id;

INSERT INTO warehouse.reports.rpt_churn_risk (customer_id, amount, loaded_at)
SELECT contact_id, open_tickets * 10 - coalesce(avg_score, 0), now()
FROM contact_signals;

DROP TABLE contact_signals;
