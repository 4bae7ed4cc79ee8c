/**
 * The two Services of a Database: the headless Service that gives each
 * StatefulSet pod its DNS name, and the client Service applications connect to.
 *
 * ## Guarantees
 * - The headless Service publishes not-ready addresses: pods must resolve one
 *   another while they start (replication, bootstrap), before they are Ready.
 * - The client Service sends traffic only to Ready database pods, on the
 *   engine's port, by the container port's name.
 * - {@linkcode endpoints} names the client Service for both read-write and
 *   read-only: Vigil runs no separate read-only Service, so both point at the
 *   same Ready pods.
 *
 * @module
 */
import { type DefaultedDatabaseV1, ENGINE_CATALOG } from "../../database/mod.ts";
import type { KubeObject, ObjectMeta } from "../../runtime/mod.ts";
import { serviceHost } from "./credentials_secret.ts";
import { ENGINE_LAYOUT } from "./engine_layout.ts";
import { DATABASE_COMPONENT, objectNames, ownedMetadata, selectorLabels } from "./labels.ts";

/** A Service port as Vigil writes it. */
export interface ServicePort {
  name: string;
  port: number;
  targetPort: string;
  protocol: "TCP";
}

/** A Service as Vigil writes it. */
export interface ServiceObject extends KubeObject {
  apiVersion: "v1";
  kind: "Service";
  metadata: ObjectMeta;
  spec: {
    type: "ClusterIP";
    clusterIP?: "None";
    publishNotReadyAddresses?: true;
    selector: Record<string, string>;
    ports: ServicePort[];
  };
}

function enginePort(db: DefaultedDatabaseV1): ServicePort {
  const name = ENGINE_LAYOUT[db.spec.engine].containerName;
  return { name, port: ENGINE_CATALOG[db.spec.engine].port, targetPort: name, protocol: "TCP" };
}

/**
 * Builds the headless Service `<name>-headless` (the StatefulSet's `serviceName`).
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function headlessService(db: DefaultedDatabaseV1): ServiceObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(db, objectNames(db).headless, DATABASE_COMPONENT),
    spec: {
      type: "ClusterIP",
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(db),
      ports: [enginePort(db)],
    },
  };
}

/**
 * Builds the client Service `<name>` on the engine's port.
 *
 * @throws {TypeError} when the Database has no name, namespace or uid.
 */
export function clientService(db: DefaultedDatabaseV1): ServiceObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMetadata(db, objectNames(db).client, DATABASE_COMPONENT),
    spec: { type: "ClusterIP", selector: selectorLabels(db), ports: [enginePort(db)] },
  };
}

/** `status.endpoints`: `host:port` of the client Service, for read-write and read-only. */
export function endpoints(db: DefaultedDatabaseV1): { readWrite: string; readOnly: string } {
  const address = `${serviceHost(db)}:${ENGINE_CATALOG[db.spec.engine].port}`;
  return { readWrite: address, readOnly: address };
}
