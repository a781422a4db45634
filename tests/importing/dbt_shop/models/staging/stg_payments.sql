{{ config(materialized='ephemeral') }}

select
    id as payment_id,
    order_id,
    amount / 100.0 as amount
from {{ source('shop', 'payments') }}
where status = 'success'
