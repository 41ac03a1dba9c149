#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from the reference vectors
(tests/vectors/). Signatures for the simulator seeds are made with the openssl command line and
wechatpay-go's test key, the merchant key of fuzz/sim_setup.hpp. Run from anywhere:
    python3 fuzz/make_seeds.py
Crash reproducers (crash-*) kept in the corpus directories are left alone."""
import base64, gzip, json, os, subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, '..', 'tests', 'vectors')
NOW = 1764230400  # fuzz::now
MCHID, APPID = '1900000109', 'wxd678efh567hg6787'
MERCHANT_KEY = os.path.join(VECTORS, 'sdk-tests', 'wechatpay-go', 'test_private_key_pkcs8.pem')
MERCHANT_SERIAL = 'D7CE59D1F522D701'
NONCE = 'fuzzNONCEfuzzNONCEfuzzNONCE01234'


def vector(path):
    with open(os.path.join(VECTORS, path), 'rb') as f:
        return f.read()


def jvector(path):
    return json.loads(vector(path))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def message(headers, body, crlf=False):
    eol = '\r\n' if crlf else '\n'
    lines = ['HTTP/1.1 200 OK'] + [f'{k}: {v}' for k, v in headers.items()]
    return eol.join(lines) + eol + eol + body


def authorization(method, target, body, timestamp=NOW):
    msg = f'{method}\n{target}\n{timestamp}\n{NONCE}\n{body}\n'.encode()
    sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', MERCHANT_KEY], input=msg,
                         capture_output=True, check=True).stdout
    return (f'WECHATPAY2-SHA256-RSA2048 mchid="{MCHID}",nonce_str="{NONCE}",timestamp="{timestamp}",'
            f'serial_no="{MERCHANT_SERIAL}",signature="{base64.b64encode(sig).decode()}"')


notify = jvector('sdk-tests/wechatpay-go/notify_payscore.json')
answer = jvector('doc_signature_vectors.json')['response_verify']
probe = jvector('signtest_probe_notification_headers.json')
transaction = json.dumps({
    'mchid': '1230000109', 'appid': APPID, 'out_trade_no': '1217752501201407033233368018',
    'transaction_id': '4200000000000000000000000001', 'trade_type': 'JSAPI', 'trade_state': 'SUCCESS',
    'trade_state_desc': '支付成功', 'bank_type': 'CMC', 'attach': 'order-7',
    'success_time': '2018-06-08T10:34:56+08:00', 'payer': {'openid': 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'},
    'amount': {'total': 100, 'payer_total': 90, 'currency': 'CNY', 'payer_currency': 'CNY'},
    'scene_info': {'device_id': '013467007045764'},
    'promotion_detail': [{'coupon_id': '109519', 'name': '单品惠-6', 'scope': 'SINGLE', 'type': 'CASH',
                          'amount': 10, 'stock_id': '931386', 'wechatpay_contribute': 0,
                          'merchant_contribute': 10, 'other_contribute': 0, 'currency': 'CNY',
                          'goods_detail': [{'goods_id': 'M1006', 'quantity': 1, 'unit_price': 100,
                                            'discount_amount': 10, 'goods_remark': '备注'}]}]},
    ensure_ascii=False, separators=(',', ':'))
refund = json.dumps({
    'mchid': '1900000100', 'transaction_id': '1008450740201411110005820873', 'out_trade_no': '20150806125346',
    'refund_id': '50200207182018070300011301001', 'out_refund_no': '7752501201407033233368018',
    'refund_status': 'SUCCESS', 'success_time': '2018-06-08T10:34:56+08:00', 'channel': 'ORIGINAL',
    'user_received_account': '招商银行信用卡0403', 'funds_account': 'AVAILABLE',
    'amount': {'total': 999, 'refund': 999, 'payer_total': 999, 'payer_refund': 999,
               'from': [{'account': 'AVAILABLE', 'amount': 444}], 'currency': 'CNY'},
    'promotion_detail': [{'promotion_id': '109519', 'scope': 'SINGLE', 'type': 'COUPON', 'amount': 5,
                          'refund_amount': 100, 'goods_detail': [{'merchant_goods_id': '1217752501201407033233368018',
                                                                  'unit_price': 100, 'refund_amount': 100,
                                                                  'refund_quantity': 1}]}]},
    ensure_ascii=False, separators=(',', ':'))
bill_info = '{"hash_type":"SHA1","hash_value":"79bb0f45fc4c42234a918000b2668d689e2bde04","download_url":"https://api.mch.weixin.qq.com/v3/billdownload/file?token=xxx"}'

# notification, answer: header block, blank line, body.
for target in ('notification', 'answer'):
    write(target, 'go_notify_payscore', message(notify['headers'], notify['body']))
    write(target, 'go_notify_payscore_crlf', message(notify['headers'], notify['body'], crlf=True))
    write(target, 'doc_answer', message(answer['headers'], answer['body']))
    write(target, 'probe', message(probe['headers'], notify['body']))

# notification_sealed: mode byte, payload.
write('notification_sealed', 'body_go_notify', b'\x00' + notify['body'].encode())
write('notification_sealed', 'plain_transaction', b'\x01' + transaction.encode())
write('notification_sealed', 'plain_refund', b'\x01' + refund.encode())
resource = json.loads(notify['body'])['resource']
write('notification_sealed', 'raw_go_resource', b'\x02' + resource['nonce'].encode() + b'\x00' +
      resource['associated_data'].encode() + b'\x00' + base64.b64decode(resource['ciphertext']))

# models: JSON texts.
write('models', 'transaction', transaction)
write('models', 'refund', refund)
write('models', 'bill_info', bill_info)
write('models', 'go_resource', json.dumps(resource))
write('models', 'go_certificates', jvector('sdk-tests/wechatpay-go/certificates_response.json')['response_body'])
write('models', 'java_certificates', vector('sdk-tests/wechatpay-java/download_certificate_response.json'))
# The complaint models (customer complaints 2.0), as WeChat's documentation shows them.
complaint = {
    'complaint_id': '200201820200101080076610000', 'complaint_time': '2015-05-20T13:29:35.120+08:00',
    'complaint_detail': '反馈一个重复扣费的问题', 'complainted_mchid': '1900012181', 'complaint_state': 'PENDING',
    'payer_openid': 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', 'payer_phone': 'sGdNeTHMQGlxCWiUyHu6XNO9GCYln2Luv4HhwJzZBfcL12sB',
    'complaint_order_info': [{'transaction_id': '4200000404201909069117582536', 'out_trade_no': '20190906154617947762231',
                              'amount': 3}],
    'complaint_media_list': [{'media_type': 'USER_COMPLAINT_IMAGE',
                              'media_url': ['https://api.mch.weixin.qq.com/v3/merchant-service/images/xxxxx']}],
    'service_order_info': [{'order_id': '15646546545165651651', 'out_order_no': '1234323JKHDFE1243252', 'state': 'DOING'}],
    'complaint_full_refunded': True, 'incoming_user_response': True, 'user_complaint_times': 1,
    'problem_description': '不满意商家服务', 'problem_type': 'REFUND', 'apply_refund_amount': 10,
    'user_tag_list': ['TRUSTED'],
}
write('models', 'complaint', json.dumps(complaint, ensure_ascii=False))
write('models', 'complaint_page', json.dumps({'data': [complaint], 'limit': 5, 'offset': 10, 'total_count': 1000},
                                             ensure_ascii=False))
write('models', 'negotiation_page', json.dumps({'data': [{
    'log_id': '300285304', 'operator': '投诉人', 'operate_time': '2015-05-20T13:29:35.120+08:00',
    'operate_type': 'USER_CREATE_COMPLAINT', 'operate_details': '已与用户沟通解决',
    'image_list': ['https://api.mch.weixin.qq.com/v3/merchant-service/images/xxxxx'],
    'complaint_media_list': [{'media_type': 'USER_COMPLAINT_IMAGE',
                              'media_url': ['https://api.mch.weixin.qq.com/v3/merchant-service/images/xxxxx']}]}],
    'limit': 50, 'offset': 0, 'total_count': 1}, ensure_ascii=False))
write('models', 'complaint_notify_url', json.dumps({'mchid': '1900012181', 'url': 'https://www.xxx.com/notify'}))
write('models', 'complaint_event', json.dumps({'complaint_id': '200201820200101080076610000',
                                               'action_type': 'CREATE_COMPLAINT'}))

# sim_auth: Authorization header values.
write('sim_auth', 'signed_get_certificates', authorization('GET', '/v3/certificates', ''))
write('sim_auth', 'stale', authorization('GET', '/v3/certificates', '', NOW - 301))
write('sim_auth', 'go_format', jvector('sdk-tests/wechatpay-go/authorization_header_format.json')
      ['cases'][0]['authorization'].replace('WECHATPAY2-Mock', 'WECHATPAY2-SHA256-RSA2048'))

# sim_request: requests separated by "\n===\n"; "METHOD TARGET\nBODY".
def prepay(kind, no, **extra):
    body = {'appid': APPID, 'mchid': MCHID, 'description': 'Image形象店-深圳腾大-QQ公仔', 'out_trade_no': no,
            'notify_url': 'https://www.weixin.qq.com/wxpay/pay.php', 'amount': {'total': 100, 'currency': 'CNY'}}
    body.update(extra)
    return f'POST /v3/pay/transactions/{kind}\n' + json.dumps(body, ensure_ascii=False, separators=(',', ':'))


def refund_request(no, trade):
    return 'POST /v3/refund/domestic/refunds\n' + json.dumps(
        {'out_trade_no': trade, 'out_refund_no': no, 'reason': '商品已售完',
         'notify_url': 'https://www.weixin.qq.com/wxpay/refund.php',
         'amount': {'refund': 10, 'total': 100, 'currency': 'CNY'}}, ensure_ascii=False, separators=(',', ':'))


def sequence(*requests):
    return '\n===\n'.join(requests)


jsapi = prepay('jsapi', 'fuzz-order-0001', payer={'openid': 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o'},
               time_expire='2025-11-27T18:00:00+08:00')
write('sim_request', 'pay_query_refund', sequence(
    jsapi, 'PAY fuzz-order-0001', f'GET /v3/pay/transactions/out-trade-no/fuzz-order-0001?mchid={MCHID}',
    refund_request('fuzz-refund-0001', 'fuzz-order-0001'), 'COMPLETE fuzz-refund-0001',
    'GET /v3/refund/domestic/refunds/fuzz-refund-0001',
    'GET /v3/bill/tradebill?bill_date=2025-11-27&bill_type=ALL&tar_type=GZIP',
    'GET /v3/bill/fundflowbill?bill_date=2025-11-27'))
write('sim_request', 'prepay_kinds', sequence(
    prepay('app', 'fuzz-order-0002'), prepay('native', 'fuzz-order-0003'),
    prepay('h5', 'fuzz-order-0004', scene_info={'payer_client_ip': '127.0.0.1', 'h5_info': {'type': 'Wap'}}),
    'POST /v3/pay/transactions/out-trade-no/fuzz-order-0003/close\n{"mchid":"' + MCHID + '"}',
    'GET /v3/pay/transactions/id/42000000000000000000000000001?mchid=' + MCHID))
write('sim_request', 'refund_paid', sequence(
    refund_request('fuzz-refund-0002', 'fuzzpaid0001'), 'GET /v3/certificates',
    'GET /v3/bill/tradebill?bill_date=2025-11-27&bill_type=REFUND', 'GET /v3/billdownload/file?token=x'))

# bill_gunzip: gzip files.
bill = vector('sdk-tests/wechatpay-php/bill.ALL.csv')
write('bill_gunzip', 'php_bill_all_csv_gz', gzip.compress(bill, mtime=0))
write('bill_gunzip', 'empty_gz', gzip.compress(b'', mtime=0))
