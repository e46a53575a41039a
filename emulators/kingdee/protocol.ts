/**
 * The fake Kingdee's WebAPI over HTTP: every `POST /k3cloud/<service>.common.kdsvc`, as the real server answers it.
 * Per request: the call is counted, injected faults for the operation are applied (latency, dropped connection,
 * HTTP 500, the HTML login page), the envelope is parsed, AccountService.GetDataCenterList answers without
 * authentication, AuthService calls go to auth.ts, DynamicFormService calls need a session or valid signature
 * headers and then go to operations.ts; refusals become Kingdee's error envelope (wrapped in `[[…]]` for the query
 * operations, with HTTP 200). The path's case does not matter (IIS); service names are matched case-insensitively.
 */
import type { Express, Request, Response } from 'express';
import { KingdeeAuth } from './auth';
import { envelope, KingdeeFault, parseEnvelope } from './envelope';
import { FormOperations } from './operations';
import type { KingdeeEmulatorOptions, KingdeeState, Operation } from './state';

const stubPrefix = '/k3cloud/';
const dynamicFormService = 'Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.';
const dataCenterList = 'Kingdee.BOS.ServiceFacade.ServicesStub.Account.AccountService.GetDataCenterList';
const knownOperations: Operation[] = [
  'ExecuteBillQuery',
  'BillQuery',
  'View',
  'Save',
  'Submit',
  'Audit',
  'UnAudit',
  'CancelAssign',
  'WorkflowAudit',
  'Delete',
  'Push',
];

export class KingdeeProtocol {
  private readonly auth: KingdeeAuth;
  private readonly operations: FormOperations;

  constructor(
    private readonly state: KingdeeState,
    options: KingdeeEmulatorOptions = {},
  ) {
    this.auth = new KingdeeAuth(state, options);
    this.operations = new FormOperations(state);
  }

  /** Serves the `…ServicesStub….common.kdsvc` paths on the app. */
  mount(app: Express): void {
    app.post(/^\/k3cloud\/(.+)\.common\.kdsvc$/i, (req, res) => {
      void this.handle(req, res);
    });
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const service = req.path.slice(stubPrefix.length).replace(/\.common\.kdsvc$/i, '');
    const last = service.split('.').pop() ?? '';
    const operation = knownOperations.find((op) => op.toLowerCase() === last.toLowerCase()) ?? last;
    this.state.calls.set(operation, (this.state.calls.get(operation) ?? 0) + 1);
    const forOp = (f: { operation?: string }) => f.operation === undefined || f.operation === operation;
    const latency = this.state.takeFault('latency', forOp);
    if (latency) await new Promise((resolve) => setTimeout(resolve, latency.ms));
    if (this.state.takeFault('drop', forOp)) {
      req.socket.destroy();
      return;
    }
    if (this.state.takeFault('http500', forOp)) {
      res.status(500).type('text').send('response_error:{"Message":"服务器内部错误","InnerException":null}');
      return;
    }
    if (this.state.takeFault('htmlError', forOp)) {
      res.status(200).type('html').send('<html><head><title>登录</title></head><body>请先登录金蝶云星空</body></html>');
      return;
    }

    let args: unknown;
    try {
      args = parseEnvelope(String(req.body ?? ''));
    } catch {
      res.json(envelope(false, 4, [`请求数据包不是有效的 JSON，无法解析`]));
      return;
    }
    if (service.toLowerCase() === dataCenterList.toLowerCase()) {
      res.json(this.dataCenters());
      return;
    }
    if (service.includes('AuthService.')) {
      this.auth.login(operation, args, res);
      return;
    }
    if (!service.toLowerCase().startsWith(dynamicFormService.toLowerCase())) {
      res.status(404).type('html').send('<html><body>服务不存在</body></html>');
      return;
    }
    const session = this.auth.authenticate(req, res);
    if (session === 'refused') return;
    if (!session) {
      const lost = envelope(false, 1, ['会话信息已丢失，请重新登录']);
      res.json(operation === 'ExecuteBillQuery' ? [[lost]] : lost);
      return;
    }
    try {
      const answer = this.operations.operate(operation as Operation, args, session.userName);
      if (Array.isArray(answer))
        this.state.rowsRead.set(operation, (this.state.rowsRead.get(operation) ?? 0) + answer.length);
      res.json(answer);
    } catch (err) {
      const errors =
        err instanceof KingdeeFault ? err.errors : [`服务端异常：${err instanceof Error ? err.message : String(err)}`];
      const code = err instanceof KingdeeFault ? err.msgCode : 4;
      const body = envelope(false, code, errors);
      res.json(operation === 'ExecuteBillQuery' || operation === 'BillQuery' ? [[body]] : body);
    }
  }

  /**
   * GetDataCenterList (no authentication): the data centres as the SDKs' `DataCenter` reads them — Id (the acctId),
   * Number, Name, Version, GDCID, AuthenticationMethods. Version and GDCID values are the emulator's own.
   */
  private dataCenters(): unknown[] {
    return this.state.seed.accounts.map((account, index) => ({
      Id: account.acctId,
      Number: account.number ?? String(index + 1).padStart(3, '0'),
      Name: account.name,
      Version: '9.0.553.10',
      GDCID: `kdb-emulator-${account.acctId}`,
      AuthenticationMethods: [{ AuthenticationMethodType: 1, Name: '密码认证' }],
    }));
  }
}
