// Reports as text for people. Tools use the JSON form (the report objects themselves), so the
// text may change; reason codes always appear verbatim so that a person can look them up.

import type { ExplainReport, Suggestion } from "./explain.js";
import type { LintReport } from "./lint.js";
import type { Finding } from "./reasons.js";
import type { EndpointView, PortView, Reason, ServiceAnalysis, SliceView } from "./service.js";

const SUGGESTION_TEXT: Record<Suggestion["reason"], string> = {
  SAME_NAME_OTHER_NAMESPACE: "same service name in another namespace",
  SIMILAR_NAME: "similar name",
  ADD_SVC_LABEL: "service names end in .svc.<zone>",
  ADD_ZONE: "with the zone appended",
};

function findingLine(finding: Finding): string {
  const where = [finding.object, finding.path].filter((part) => part !== "").join(" ");
  return `  ${finding.severity.padEnd(7)} ${finding.code.padEnd(26)} ${where}${where ? ": " : ""}${finding.message}`;
}

function answerHeader(report: ExplainReport): string {
  const { answer } = report;
  if (answer.rcode === "REFUSED") return "REFUSED";
  if (answer.nodata) return "NOERROR, no records (NODATA)";
  if (answer.rcode === "NXDOMAIN") return "NXDOMAIN";
  return `NOERROR, ${answer.answer.length} record(s)`;
}

function reasonText(reason: Reason): string {
  return `[${reason.code}] ${reason.path ? `${reason.path}: ` : ""}${reason.message}`;
}

function portLine(port: PortView): string {
  const label = port.name === null ? "(unnamed)" : port.name;
  const number = port.port === null ? "-" : String(port.port);
  const what =
    port.srv.length > 0 ? `SRV at ${port.srv.join(", ")}` : port.used ? "" : "no SRV record";
  const reasons = port.reasons.map(reasonText).join("; ");
  return `      #${port.index} ${label} ${number}/${port.protocol ?? "?"}  ${what}${reasons ? `  ${reasons}` : ""}`;
}

function endpointLine(endpoint: EndpointView): string {
  const addresses = endpoint.addresses.length > 0 ? endpoint.addresses.join(",") : "(no address)";
  const host = endpoint.hostname === null ? "" : ` hostname=${endpoint.hostname}`;
  const state = endpoint.used ? `used → ${endpoint.name ?? ""}` : "left out";
  const reasons = endpoint.reasons.map(reasonText).join("; ");
  return `      endpoints[${endpoint.index}] ${addresses}${host}  ${state}${reasons ? `  ${reasons}` : ""}`;
}

function sliceLines(slice: SliceView): string[] {
  const flags = [
    `cluster ${slice.cluster}${slice.local ? " (local)" : ""}`,
    slice.addressType,
    slice.used ? "used" : "not used",
  ];
  if (slice.srvPriority !== 0) flags.push(`SRV priority ${slice.srvPriority}`);
  const lines = [`    ${slice.object}  ${flags.join(", ")}  (${slice.origin})`];
  if (slice.reason) lines.push(`      [${slice.reason.code}] ${slice.reason.message}`);
  // A ClusterSetIP service's slices are expected and unused; their details would only be noise.
  if (slice.reason?.code === "CLUSTERSETIP_SLICE_IGNORED") {
    lines.push(`      ${slice.endpoints.length} endpoint(s), ${slice.ports.length} port(s)`);
    return lines;
  }
  for (const endpoint of slice.endpoints) lines.push(endpointLine(endpoint));
  if (slice.ports.length > 0) {
    lines.push("      ports:");
    for (const port of slice.ports) lines.push(`  ${portLine(port)}`);
  }
  return lines;
}

function serviceLines(service: ServiceAnalysis): string[] {
  const head =
    service.status === "valid"
      ? `${service.type ?? ""}${service.type === "ClusterSetIP" ? `, spec.ips ${service.ips.length > 0 ? service.ips.join(", ") : "(none)"}` : ""}${service.origin ? `, from ${service.origin}` : ""}`
      : service.status === "missing"
        ? "no ServiceImport"
        : "ServiceImport rejected";
  const lines = ["", `Service ${service.namespace}/${service.name} (${service.owner}): ${head}`];
  if (service.type === "ClusterSetIP" && service.ports.length > 0) {
    lines.push("  ServiceImport ports:");
    for (const port of service.ports) lines.push(portLine(port).slice(2));
  }
  lines.push(service.slices.length === 0 ? "  EndpointSlices: none" : "  EndpointSlices:");
  for (const slice of service.slices) lines.push(...sliceLines(slice));
  if (service.setAside.length > 0) {
    lines.push("  Set aside (not used by the server):");
    for (const view of service.setAside) {
      lines.push(`    ${view.object}  (${view.origin})`);
      for (const finding of view.findings)
        lines.push(
          `      [${finding.code}] ${finding.path ? `${finding.path}: ` : ""}${finding.message}`,
        );
    }
  }
  return lines;
}

export function renderExplain(report: ExplainReport): string {
  const lines = [
    `Question: ${report.question.name} ${report.question.type}`,
    `Answer:   ${answerHeader(report)}`,
  ];
  for (const record of report.answer.answer) lines.push(`  ${record.text}`);
  if (report.answer.authority.length > 0) {
    lines.push("  authority:");
    for (const record of report.answer.authority) lines.push(`  ${record.text}`);
  }
  if (report.answer.additional.length > 0) {
    lines.push("  additional:");
    for (const record of report.answer.additional) lines.push(`  ${record.text}`);
  }
  if (report.localClusterId !== null) lines.push(`Local cluster: ${report.localClusterId}`);
  lines.push("", "Why:");
  for (const sentence of report.why) lines.push(`  - ${sentence}`);
  if (report.suggestions.length > 0) {
    lines.push("", "Did you mean:");
    for (const suggestion of report.suggestions)
      lines.push(`  ${suggestion.name}  (${SUGGESTION_TEXT[suggestion.reason]})`);
  }
  if (report.service) lines.push(...serviceLines(report.service));
  if (report.findings.length > 0) {
    lines.push("", "Findings:");
    for (const finding of report.findings) lines.push(findingLine(finding));
  }
  lines.push("");
  return lines.join("\n");
}

export function renderLint(report: LintReport): string {
  const { counts } = report;
  const lines = report.findings.map(findingLine);
  lines.push(
    `${report.source}: ${report.objects} object(s) checked, ${report.ignored} of other kinds ignored; ` +
      `${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} note(s)` +
      `${report.failed ? "" : " — clean"}`,
  );
  lines.push("");
  return lines.join("\n");
}
