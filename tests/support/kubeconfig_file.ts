/** Writes kubeconfig files with embedded certificates (client-certificate auth). */

function b64(text: string): string {
  return btoa(text);
}

/** Renders a one-context kubeconfig for `server`, trusting `caPem`, authenticating with a client certificate. */
export function renderKubeconfig(
  server: string,
  credentials: { caPem: string; certPem: string; keyPem: string; user: string },
): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "vigil-test",
        cluster: { server, "certificate-authority-data": b64(credentials.caPem) },
      }],
      users: [{
        name: credentials.user,
        user: {
          "client-certificate-data": b64(credentials.certPem),
          "client-key-data": b64(credentials.keyPem),
        },
      }],
      contexts: [{
        name: "vigil-test",
        context: { cluster: "vigil-test", user: credentials.user, namespace: "default" },
      }],
      "current-context": "vigil-test",
    },
    null,
    2,
  );
}
