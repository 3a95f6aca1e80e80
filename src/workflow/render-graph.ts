/** Draws a workflow's DAG as Mermaid or Graphviz dot: steps labelled service/method, compensations marked. */
import type { StepDefinition, Workflow } from "./model.js";

function label(step: StepDefinition, workflow: Workflow): string {
  if (step.sleepMs !== undefined) return `${step.id}\\nsleep ${step.sleepMs}ms`;
  if (step.waitFor) return `${step.id}\\nwait for signal ${step.waitFor.signal}`;
  const call = step.call;
  const service = call ? workflow.services.get(call.service) : undefined;
  const parts = [step.id, call ? `${call.service} · ${call.method.source}` : ""];
  if (service) parts[1] = `${service.type} ${parts[1]}`;
  if (step.when.length > 0) parts.push(`when ${step.when.map((w) => w.source).join(" && ")}`);
  if (step.compensate) parts.push(`↩ ${step.compensate.method.source}`);
  return parts.filter(Boolean).join("\\n");
}

function mermaidText(text: string): string {
  return text.replaceAll('"', "#quot;").replaceAll("\\n", "<br/>");
}

export function toMermaid(workflow: Workflow): string {
  const lines = ["flowchart TD"];
  const groups = new Map<string, StepDefinition[]>();
  for (const step of workflow.steps) {
    if (step.group) groups.set(step.group, [...(groups.get(step.group) ?? []), step]);
  }
  const node = (s: StepDefinition) => `${s.id}["${mermaidText(label(s, workflow))}"]`;
  for (const step of workflow.steps) if (!step.group) lines.push(`  ${node(step)}`);
  for (const [group, members] of groups) {
    lines.push(`  subgraph ${group}[parallel: ${group}]`);
    for (const s of members) lines.push(`    ${node(s)}`);
    lines.push("  end");
  }
  for (const step of workflow.steps) {
    for (const dep of step.dependsOn) lines.push(`  ${dep} --> ${step.id}`);
  }
  const compensated = workflow.steps.filter((s) => s.compensate).map((s) => s.id);
  if (compensated.length > 0) {
    lines.push("  classDef compensable stroke-dasharray: 4 2,stroke:#c0392b");
    lines.push(`  class ${compensated.join(",")} compensable`);
  }
  return `${lines.join("\n")}\n`;
}

function dotText(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\\\\n", "\\n");
}

export function toDot(workflow: Workflow): string {
  const lines = [`digraph "${dotText(workflow.name)}" {`, "  rankdir=TB;", "  node [shape=box];"];
  const groups = new Map<string, StepDefinition[]>();
  for (const step of workflow.steps) {
    const style = step.compensate ? ', style=dashed, color="#c0392b"' : "";
    const line = `  "${step.id}" [label="${dotText(label(step, workflow))}"${style}];`;
    if (step.group) groups.set(step.group, [...(groups.get(step.group) ?? []), step]);
    else lines.push(line);
  }
  for (const [group, members] of groups) {
    lines.push(`  subgraph "cluster_${group}" {`, `    label="parallel: ${group}";`);
    for (const s of members) {
      const style = s.compensate ? ', style=dashed, color="#c0392b"' : "";
      lines.push(`    "${s.id}" [label="${dotText(label(s, workflow))}"${style}];`);
    }
    lines.push("  }");
  }
  for (const step of workflow.steps) {
    for (const dep of step.dependsOn) lines.push(`  "${dep}" -> "${step.id}";`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
