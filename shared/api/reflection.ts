import { createRegistry, type DescFile, type DescService, type Registry, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../gen/grpc/reflection/v1alpha/reflection_pb.js";

/**
 * gRPC server reflection (`grpc.reflection.v1` and `grpc.reflection.v1alpha`), so grpcurl,
 * `buf curl` and Postman can call the server without our .proto files. connect-es ships none
 * (connect-es #507). Reflection is a bidirectional stream: it needs the HTTP/2 (gRPC) path.
 */

/** The request shape both versions share. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

/** Answers reflection requests about `services` and every file they depend on. */
export class ReflectionIndex {
  private readonly registry: Registry;
  private readonly filesByName = new Map<string, DescFile>();
  private readonly serviceNames: string[];
  private readonly encoded = new Map<string, Uint8Array>();

  constructor(services: readonly DescService[]) {
    const add = (f: DescFile) => {
      if (this.filesByName.has(f.name)) return;
      this.filesByName.set(f.name, f);
      for (const d of f.dependencies) add(d);
    };
    for (const s of services) add(s.file);
    this.registry = createRegistry(...this.filesByName.values());
    this.serviceNames = [...new Set(services.map((s) => s.typeName))].sort();
  }

  /** The answer to one request. */
  answer(req: ReflectionRequest): ReflectionAnswer {
    const r = req.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: this.serviceNames.map((name) => ({ name })) } };
      case "fileByFilename": {
        const file = this.filesByName.get(r.value);
        return file ? this.files(file) : this.error(NOT_FOUND, `file not found: ${r.value}`);
      }
      case "fileContainingSymbol": {
        const file = this.fileOfSymbol(r.value);
        return file ? this.files(file) : this.error(NOT_FOUND, `symbol not found: ${r.value}`);
      }
      case "fileContainingExtension": {
        const ext = this.registry.getExtensionFor(
          this.registry.getMessage(r.value.containingType) ?? ({} as never),
          r.value.extensionNumber,
        );
        return ext ? this.files(ext.file) : this.error(NOT_FOUND, "extension not found");
      }
      case "allExtensionNumbersOfType": {
        const msg = this.registry.getMessage(r.value);
        if (!msg) return this.error(NOT_FOUND, `type not found: ${r.value}`);
        const numbers: number[] = [];
        for (const t of this.registry)
          if (t.kind === "extension" && t.extendee.typeName === r.value) numbers.push(t.number);
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: numbers } };
      }
      default:
        return this.error(INVALID_ARGUMENT, "empty reflection request");
    }
  }

  private fileOfSymbol(symbol: string): DescFile | undefined {
    const direct = this.registry.get(symbol);
    if (direct) return direct.file;
    // A method (`pkg.Service.Method`) or a nested name: try the enclosing symbol.
    const dot = symbol.lastIndexOf(".");
    if (dot <= 0) return undefined;
    const parent = this.registry.get(symbol.slice(0, dot));
    if (parent?.kind === "service" && parent.methods.some((m) => m.name === symbol.slice(dot + 1))) return parent.file;
    return undefined;
  }

  /** The file and its transitive dependencies, dependencies last, each once. */
  private files(file: DescFile): ReflectionAnswer {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(this.encode(f));
      for (const d of f.dependencies) visit(d);
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
  }

  private encode(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file.name, bytes);
    }
    return bytes;
  }

  private error(errorCode: number, errorMessage: string): ReflectionAnswer {
    return { case: "errorResponse", value: { errorCode, errorMessage } };
  }
}

/**
 * Registers both reflection services on `router`, describing `services` (the reflection services
 * themselves are added to the list, as grpc-go does).
 */
export function registerReflectionServices(router: ConnectRouter, services: readonly DescService[]): void {
  const index = new ReflectionIndex([...services, v1.ServerReflection, v1alpha.ServerReflection]);
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req) } as never;
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req) } as never;
      }
    },
  });
}
