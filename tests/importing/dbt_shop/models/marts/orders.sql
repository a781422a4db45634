with paid as (
    select order_id, sum(amount) as amount
    from {{ ref('stg_payments') }}
    group by order_id
)

select
    o.order_id,
    o.customer_id,
    o.order_date,
    s.label as status_label,
    coalesce(paid.amount, 0) as amount
from {{ ref('stg_orders') }} as o
left join paid on paid.order_id = o.order_id
left join {{ ref('order_statuses') }} as s on s.status = o.status
