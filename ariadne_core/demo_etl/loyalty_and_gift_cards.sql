-- Loyalty points count towards lifetime value; gift cards are payments too.
MERGE INTO warehouse.marts.agg_customer_ltv l
USING shop.public.loyalty_accounts a ON l.customer_id = a.customer_id
WHEN MATCHED THEN UPDATE SET amount = l.amount + a.points * 0.01;

INSERT INTO warehouse.marts.fct_payments (customer_id, amount, loaded_at)
SELECT g.customer_id, g.amount, g.updated_at
FROM shop.public.gift_cards g;
