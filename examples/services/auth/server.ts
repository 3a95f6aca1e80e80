/**
 * The example account service (examples.auth.v1.AuthService) of the user_onboarding
 * workflow: gRPC, Connect and gRPC-web on one port. Alone: `npx tsx examples/services/auth/server.ts`.
 */
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthService } from "../../../src/gen/examples/auth/v1/auth_pb.js";
import {
  implement,
  type RunningGrpcService,
  runAlone,
  type StartOptions,
  startGrpcService,
} from "../grpc-kit.js";

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name?: string;
  active: boolean;
}

export interface RunningAuthService extends RunningGrpcService {
  /** Accounts by id. */
  readonly users: Map<string, User>;
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;

export async function startAuthService(options: StartOptions = {}): Promise<RunningAuthService> {
  const users = new Map<string, User>();
  let created = 0;
  const auth = implement(AuthService, {
    createUser(req) {
      if (!EMAIL.test(req.email)) {
        throw new ConnectError(`"${req.email}" is not an email address`, Code.InvalidArgument);
      }
      if (req.password.length < 8) {
        throw new ConnectError("the password needs at least 8 characters", Code.InvalidArgument);
      }
      if ([...users.values()].some((u) => u.email === req.email)) {
        throw new ConnectError(`${req.email} already has an account`, Code.AlreadyExists);
      }
      created += 1;
      const id = `usr_${String(created).padStart(4, "0")}`;
      users.set(id, {
        id,
        email: req.email,
        ...(req.name !== undefined && { name: req.name }),
        active: false,
      });
      return { id, email: req.email };
    },
    deleteUser(req) {
      return { deleted: users.delete(req.userId) };
    },
    activateUser(req) {
      const user = users.get(req.userId);
      if (user === undefined) throw new ConnectError(`no user ${req.userId}`, Code.NotFound);
      user.active = true;
      return { userId: user.id, active: true };
    },
  });
  const service = await startGrpcService("auth", [auth], options);
  return { ...service, users };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone(startAuthService, 50051);
}
