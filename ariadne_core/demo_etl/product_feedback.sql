-- Review ratings land in the product scorecard.
UPDATE warehouse.marts.agg_product_performance p
SET amount = r.avg_rating
FROM (
    SELECT product_id, avg(rating) AS avg_rating
    FROM shop.public.product_reviews
    GROUP BY product_id
) r
WHERE r.product_id = p.product_id;
