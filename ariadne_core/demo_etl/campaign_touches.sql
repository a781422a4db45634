-- Every e-mail opened or clicked is a campaign touch.
INSERT INTO warehouse.marts.fct_campaign_touches (campaign_id, customer_id, loaded_at)
SELECT e.campaign_id, e.contact_id, e.updated_at
FROM crm.main.email_events e
WHERE e.event IN ('open', 'click');
