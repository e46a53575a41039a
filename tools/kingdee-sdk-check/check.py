#!/usr/bin/env python3
"""Check a running K3Cloud WebAPI (our emulator, or a real test site) from outside, with Kingdee's own Python SDK.

It starts nothing: point it at a server that is already up, e.g.

    npm run emulator:kingdee -- --port 8410
    pip install -r tools/kingdee-sdk-check/requirements.txt
    python3 tools/kingdee-sdk-check/check.py --url http://127.0.0.1:8410/k3cloud/

Credentials default to the emulator's demo seed (emulators/kingdee/seeds/demo.json). The calls go through
`k3cloud_webapi_sdk` (PyPI kingdee-cdp-webapi-sdk) exactly as an integrator's code would make them: signed requests
(X-Kd-* / X-Api-* headers), named envelopes with `data` as an object, the session cookie the SDK keeps. Only the
"path without /k3cloud/" probe uses plain `requests`, since the SDK cannot show an HTTP status.

Prints one line per call (OK / FAIL) and exits 1 if any call failed. The bills it saves, pushes and audits are new
ones, so it can run repeatedly against the same server; the demo data it relies on is the seed's base data
(employee EMP002, department BM02, org 100, currency PRE001, expense items FY001/FY002, project XM001, settlement
type JSFS04_SYS).
"""
import argparse
import hashlib
import json
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import requests
from k3cloud_webapi_sdk.main import K3CloudApiSdk

ER = 'ER_ExpReimbursement'
PAY = 'AP_PAYBILL'
RULE = 'ER_ExpReimbursementToPayBill'
AUTH = 'Kingdee.BOS.WebApi.ServicesStub.AuthService.'


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def status_of(result):
    return (result.get('Result') or {}).get('ResponseStatus') or {}


def errors_of(status):
    return '; '.join(e.get('Message') or '' for e in status.get('Errors') or []) or json.dumps(status, ensure_ascii=False)[:200]


def ok_status(result, what):
    status = status_of(result)
    expect(status.get('IsSuccess') in (True, 'true'), f'{what} failed: {errors_of(status)}')
    return status


def data_rows(rows):
    """ExecuteBillQuery's rows, or CheckFailed with Kingdee's message when it answered an error inside the array."""
    expect(isinstance(rows, list), f'expected an array of rows, got {str(rows)[:160]}')
    for row in rows:
        cells = row if isinstance(row, list) else [row]
        for cell in cells:
            if isinstance(cell, dict):
                raise CheckFailed(f'query refused: {errors_of(status_of(cell))}')
    return rows


def name_of(ref):
    name = (ref or {}).get('Name')
    if isinstance(name, list):
        return next((n.get('Value') for n in name if n.get('Key') == 2052), None)
    return name


class Check:
    def __init__(self, args):
        self.args = args
        self.url = args.url if args.url.endswith('/') else args.url + '/'
        self.sdk = K3CloudApiSdk(self.url)
        self.sdk.InitConfig(args.acct_id, args.user, args.app_id, args.app_secret, self.url, lcid=2052)
        self.rows = []
        self.bill = {}

    # ── plumbing ──────────────────────────────────────────────────────────────────────────────────────────

    def run(self, name, fn):
        try:
            detail = fn() or ''
            self.rows.append((name, 'OK', detail))
        except Exception as err:  # noqa: BLE001 — every failure is a row in the table
            self.rows.append((name, 'FAIL', f'{type(err).__name__}: {err}'[:300]))

    def call(self, method, *params):
        text = getattr(self.sdk, method)(*params)
        if isinstance(text, Exception):  # the SDK returns (not raises) some init errors
            raise text
        return json.loads(text)

    def view(self, form, bill_id):
        result = self.call('View', form, {'CreateOrgId': 0, 'Number': '', 'Id': str(bill_id), 'IsSortBySeq': 'false'})
        status = status_of(result)
        expect(not status or status.get('IsSuccess') in (True, 'true'), f'View failed: {errors_of(status)}')
        model = (result.get('Result') or {}).get('Result')
        expect(isinstance(model, dict) and model, f'View returned no document: {json.dumps(result, ensure_ascii=False)[:200]}')
        return model

    def save_expense(self, amounts, settle_type=True):
        model = {
            'FID': 0,
            'FDate': time.strftime('%Y-%m-%d'),
            'FProposerID': {'FSTAFFNUMBER': 'EMP002'},
            'FOrgID': {'FNumber': '100'},
            'FRequestDeptID': {'FNumber': 'BM02'},
            'FCurrencyID': {'FNumber': 'PRE001'},
            'FCausa': 'SDK 检查：杭州客户拜访',
            'FEntity': [
                {'FEntryID': 0, 'FExpID': {'FNumber': code}, 'FExpSubmitAmount': amount, 'FExpenseAmount': amount}
                for code, amount in amounts
            ],
        }
        model['FEntity'][0]['F_KDB_ProjectID'] = {'FNumber': 'XM001'}
        if settle_type:
            model['FPaySettlleTypeID'] = {'FNumber': 'JSFS04_SYS'}
        result = self.call('Save', ER, {'NeedUpDateFields': [], 'IsDeleteEntry': 'true', 'Model': model})
        status = ok_status(result, 'Save')
        entity = (status.get('SuccessEntitys') or [{}])[0]
        expect(int(entity.get('Id') or 0) > 0 and entity.get('Number'), f'Save returned no Id/Number: {entity}')
        return int(entity['Id']), entity['Number']

    def state_change(self, op, number):
        return ok_status(self.call(op, ER, {'CreateOrgId': 0, 'Numbers': [number], 'Ids': '', 'NetworkCtrl': 'false'}), op)

    # ── the calls ─────────────────────────────────────────────────────────────────────────────────────────

    def data_centers(self):
        centres = json.loads(self.sdk.GetDataCenters())
        expect(isinstance(centres, list), f'expected a list, got {str(centres)[:120]}')
        ids = [c.get('Id') for c in centres]
        expect(self.args.acct_id in ids, f'{self.args.acct_id} not among {ids}')
        return f'{len(centres)} data centre(s), {self.args.acct_id} = {next(c.get("Name") for c in centres if c.get("Id") == self.args.acct_id)}'

    def login_app_secret(self):
        result = self.call('Execute', AUTH + 'LoginByAppSecret', {
            'acctid': self.args.acct_id, 'username': self.args.user, 'appid': self.args.app_id,
            'appsecret': self.args.app_secret, 'lcid': 2052})
        expect(result.get('LoginResultType') == 1, f'LoginResultType {result.get("LoginResultType")}: {result.get("Message")}')
        expect(result.get('KDSVCSessionId'), 'no KDSVCSessionId')
        return f'LoginResultType 1, user {result.get("Context", {}).get("UserName")}'

    def login_sign(self):
        timestamp = str(int(time.time()))
        parts = sorted([self.args.acct_id, self.args.user, self.args.app_id, self.args.app_secret, timestamp])
        sign = hashlib.sha256(''.join(parts).encode('utf-8')).hexdigest()
        result = self.call('Execute', AUTH + 'LoginBySign', {
            'acctid': self.args.acct_id, 'username': self.args.user, 'appid': self.args.app_id,
            'timestamp': timestamp, 'sign': sign, 'lcid': 2052})
        expect(result.get('LoginResultType') == 1, f'LoginResultType {result.get("LoginResultType")}: {result.get("Message")}')
        return 'LoginResultType 1 (SHA-256 sign)'

    def save_new(self):
        bill_id, number = self.save_expense([('FY001', 1200), ('FY002', 680)])
        self.bill.update(id=bill_id, number=number)
        expect(bill_id != 0, 'FID 0 was stored as the bill id')
        return f'FID 0 → new bill Id {bill_id}, Number {number}'

    def view_new(self):
        model = self.view(ER, self.bill['id'])
        expect(model.get('Id') == self.bill['id'] and 'ID' not in model and 'FID' not in model,
               f'Model.FID 0 was kept as a field (Id {model.get("Id")}, ID {model.get("ID")})')
        proposer = model.get('ProposerID') or {}
        expect(name_of(proposer) == '李四' and proposer.get('Number') == 'EMP002',
               f'ProposerID not resolved from FSTAFFNUMBER: {json.dumps(proposer, ensure_ascii=False)[:160]}')
        expect(name_of(model.get('RequestDeptID')) == '销售部', 'FRequestDeptID {FNumber: BM02} not resolved')
        expect(name_of(model.get('CurrencyID')) == '人民币', 'FCurrencyID {FNumber: PRE001} not resolved')
        rows = model.get('ER_ExpenseReimbEntry') or []
        expect(len(rows) == 2, f'expected 2 entry rows in ER_ExpenseReimbEntry, got {len(rows)}')
        expect([r.get('Seq') for r in rows] == [1, 2], f'Seq {[r.get("Seq") for r in rows]}')
        expect(all(isinstance(r.get('Id'), int) and r['Id'] > 0 for r in rows), 'entry rows lack an Id (FEntryID)')
        expect((rows[0].get('ExpID') or {}).get('Number') == 'FY001', 'entry FExpID {FNumber: FY001} not resolved')
        expect(name_of(rows[0].get('F_KDB_ProjectID')) == '华东客户拓展项目', 'entry project XM001 not resolved')
        expect(model.get('DocumentStatus') == 'A', f'status {model.get("DocumentStatus")}')
        expect(model.get('ReqReimbAmountSum') == 1880, f'ReqReimbAmountSum {model.get("ReqReimbAmountSum")}')
        self.bill['entry_ids'] = [r['Id'] for r in rows]
        return f'申请人 李四 (EMP002), 2 rows (Id {rows[0]["Id"]}, {rows[1]["Id"]}), total 1880, status A'

    def save_update(self):
        first = self.bill['entry_ids'][0]
        result = self.call('Save', ER, {'IsDeleteEntry': 'false', 'Model': {
            'FID': self.bill['id'], 'FEntity': [{'FEntryID': first, 'FExpSubmitAmount': 1300, 'FExpenseAmount': 1300}]}})
        ok_status(result, 'Save')
        model = self.view(ER, self.bill['id'])
        rows = model.get('ER_ExpenseReimbEntry') or []
        expect(len(rows) == 2 and model.get('ReqReimbAmountSum') == 1980,
               f'{len(rows)} rows, total {model.get("ReqReimbAmountSum")} (expected 2 rows, 1980)')
        return 'FID + FEntryID updated one row in place (IsDeleteEntry false), total 1980'

    def save_unknown_number(self):
        result = self.call('Save', ER, {'Model': {'FID': 0, 'FProposerID': {'FSTAFFNUMBER': 'NO-SUCH-EMP'}}})
        status = status_of(result)
        expect(status.get('IsSuccess') in (False, 'false'), 'a reference to a missing employee was accepted')
        return f'refused, MsgCode {status.get("MsgCode")}: {errors_of(status)[:60]}'

    def submit(self):
        self.state_change('Submit', self.bill['number'])
        expect(self.view(ER, self.bill['id']).get('DocumentStatus') == 'B', 'not B after Submit')
        return 'A → B'

    def audit(self):
        self.state_change('Audit', self.bill['number'])
        model = self.view(ER, self.bill['id'])
        expect(model.get('DocumentStatus') == 'C', 'not C after Audit')
        return f'B → C, approver {(model.get("ApproverId") or {}).get("Name")}'

    def query_bill(self):
        rows = self.call('ExecuteBillQuery', {
            'FormId': ER,
            'FieldKeys': 'FID,FBillNo,FDocumentStatus,FProposerID.FName,FEntity_FEntryID,FEntity_FSeq,FExpID.FNumber,FExpSubmitAmount',
            'FilterString': f"FBillNo = '{self.bill['number']}'", 'OrderString': 'FEntity_FSeq ASC',
            'StartRow': 0, 'Limit': 100})
        data_rows(rows)
        expect(len(rows) == 2, f'expected one row per entry row (2), got {len(rows)}')
        expect(rows[0][2] == 'C' and rows[0][3] == '李四' and rows[0][6] == 'FY001' and rows[1][5] == 2,
               f'unexpected rows {rows}')
        lines = ' / '.join(f'#{r[5]} {r[6]} {r[7]}' for r in rows)
        return f'2 rows (one per entry) of {rows[0][1]} ({rows[0][2]}, {rows[0][3]}): {lines}'

    def query_base(self, form, keys, wanted):
        rows = data_rows(self.call('ExecuteBillQuery', {'FormId': form, 'FieldKeys': keys, 'FilterString': '', 'Limit': 100}))
        numbers = [r[1] for r in rows]
        expect(wanted in numbers, f'{wanted} not in {numbers}')
        return f'{len(rows)} rows, e.g. {next(r for r in rows if r[1] == wanted)}'

    def push(self):
        result = self.call('Push', ER, {
            'Ids': '', 'Numbers': [self.bill['number']], 'EntryIds': '', 'RuleId': RULE, 'TargetBillTypeId': '',
            'TargetOrgId': 0, 'TargetFormId': '', 'IsEnableDefaultRule': 'false', 'IsDraftWhenSaveFail': 'false',
            'CustomParams': {}})
        convert = (result.get('Result') or {}).get('ConvertResponseStatus') or status_of(result)
        expect(convert.get('IsSuccess') in (True, 'true'), f'conversion failed: {errors_of(convert)}')
        status = ok_status(result, 'Push')
        target = (status.get('SuccessEntitys') or [{}])[0]
        expect(int(target.get('Id') or 0) > 0 and target.get('Number'), f'no target bill: {target}')
        self.bill.update(target_id=int(target['Id']), target_number=target['Number'])
        model = self.view(PAY, target['Id'])
        expect(model.get('DocumentStatus') == 'A', f'target status {model.get("DocumentStatus")}, expected A')
        expect(model.get('PAYTOTALAMOUNTFOR_H') == 1980, f'target amount {model.get("PAYTOTALAMOUNTFOR_H")}')
        src = model.get('PAYBILLSRCENTRY') or []
        expect(len(src) == 2 and all(r.get('SRCBILLNO') == self.bill['number'] for r in src), f'source rows {src}')
        links = src[0].get('FPAYBILLSRCENTRY_Link') or []
        expect(links and links[0].get('SBillId') == str(self.bill['id']) and links[0].get('RuleId') == RULE,
               f'links {links}')
        expect(links[0].get('SId') == str(self.bill['entry_ids'][0]), f'link SId {links[0].get("SId")}')
        return f'付款单 {target["Number"]} (A), 1980, 2 links → {self.bill["number"]}'

    def query_links(self):
        rows = self.call('ExecuteBillQuery', {
            'FormId': PAY, 'FieldKeys': 'FBillNo,FDocumentStatus,FSRCBILLNO,FPAYBILLSRCENTRY_Link_FSBillId,FPAYBILLSRCENTRY_Link_FRuleId',
            'FilterString': f"FPAYBILLSRCENTRY_Link_FSBillId = {self.bill['id']}", 'Limit': 100})
        data_rows(rows)
        expect(len(rows) == 2 and rows[0][0] == self.bill['target_number'], f'rows {rows}')
        return f'{len(rows)} link rows found by FPAYBILLSRCENTRY_Link_FSBillId'

    def unaudit_with_downstream(self):
        result = self.call('UnAudit', ER, {'Numbers': [self.bill['number']]})
        status = status_of(result)
        expect(status.get('IsSuccess') in (False, 'false'), 'UnAudit of a bill with a downstream 付款单 was allowed')
        return f'refused: {errors_of(status)[:70]}'

    def push_draft(self):
        bill_id, number = self.save_expense([('FY003', 260)], settle_type=False)
        self.state_change('Submit', number)
        self.state_change('Audit', number)
        failing = self.call('Push', ER, {'Numbers': [number], 'TargetFormId': PAY, 'IsEnableDefaultRule': 'true',
                                         'IsDraftWhenSaveFail': 'false'})
        expect(status_of(failing).get('IsSuccess') in (False, 'false'), 'target save without 结算方式 succeeded')
        result = self.call('Push', ER, {'Numbers': [number], 'TargetFormId': PAY, 'IsEnableDefaultRule': 'true',
                                        'IsDraftWhenSaveFail': 'true'})
        status = ok_status(result, 'Push (draft)')
        target = (status.get('SuccessEntitys') or [{}])[0]
        model = self.view(PAY, target.get('Id'))
        expect(model.get('DocumentStatus') == 'Z', f'status {model.get("DocumentStatus")}, expected Z')
        return f'default rule; no 结算方式 → refused, then draft Id {target.get("Id")} (Z, no number)'

    def no_k3cloud_path(self):
        parts = urlsplit(self.url)
        url = urlunsplit((parts.scheme, parts.netloc,
                          '/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc', '', ''))
        response = requests.post(url, json={'data': {'FormId': ER, 'FieldKeys': 'FID'}}, timeout=10)
        expect(response.status_code == 403 and response.text == '',
               f'HTTP {response.status_code}, body {response.text[:80]!r}')
        return 'HTTP 403, empty body'

    def all(self):
        self.run('GetDataCenterList (no auth)', self.data_centers)
        self.run('LoginByAppSecret', self.login_app_secret)
        self.run('LoginBySign', self.login_sign)
        self.run('Save (FID 0, refs by number, FEntity rows)', self.save_new)
        self.run('View (refs, entries Id/Seq, totals)', self.view_new)
        self.run('Save (FID + FEntryID update)', self.save_update)
        self.run('Save (unknown FSTAFFNUMBER refused)', self.save_unknown_number)
        self.run('Submit', self.submit)
        self.run('Audit', self.audit)
        self.run('ExecuteBillQuery (entry expansion)', self.query_bill)
        self.run('ExecuteBillQuery BD_Expense', lambda: self.query_base('BD_Expense', 'FEXPID,FNumber,FName', 'FY001'))
        self.run('ExecuteBillQuery BAS_PreBaseDataOne (项目)',
                 lambda: self.query_base('BAS_PreBaseDataOne', 'FID,FNumber,FName', 'XM001'))
        self.run('Push ER → AP_PAYBILL (RuleId)', self.push)
        self.run('ExecuteBillQuery AP_PAYBILL links', self.query_links)
        self.run('UnAudit (downstream bill refused)', self.unaudit_with_downstream)
        self.run('Push (default rule, draft on failure)', self.push_draft)
        self.run('POST without /k3cloud/', self.no_k3cloud_path)
        return self.rows


def main():
    parser = argparse.ArgumentParser(description="Check a K3Cloud WebAPI with Kingdee's Python SDK.")
    parser.add_argument('--url', required=True, help='base URL, e.g. http://127.0.0.1:8410/k3cloud/')
    parser.add_argument('--acct-id', default='62f1a9b3c4d5e6')
    parser.add_argument('--user', default='kdb-integration')
    parser.add_argument('--app-id', default='300001_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcY')
    parser.add_argument('--app-secret', default='demo-kingdee-secret-not-real')
    parser.add_argument('--json', action='store_true', help='also print the results as one JSON line')
    args = parser.parse_args()

    rows = Check(args).all()
    width = max(len(name) for name, _, _ in rows)
    print(f'{"call".ljust(width)}  result  detail')
    print(f'{"-" * width}  ------  ------')
    for name, result, detail in rows:
        print(f'{name.ljust(width)}  {result.ljust(6)}  {detail}')
    failed = [name for name, result, _ in rows if result != 'OK']
    print(f'\n{len(rows) - len(failed)} OK, {len(failed)} FAIL')
    if args.json:
        print(json.dumps([{'call': n, 'result': r, 'detail': d} for n, r, d in rows], ensure_ascii=False))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
