//! Unit tests of the runtime on packages built in memory: constraints, variables shadowing,
//! For Loop, MaximumErrorCount and event handlers with propagation.

use std::sync::Arc;

use super::events::{EventBody, Recorder};
use super::*;
use ssisd_engine::model::{
    EvalOp, EventHandler, ExecProperties, ExecResult, Executable, ExecutableKind, ForLoop, Package,
    PrecedenceConstraint, RawXml, TaskKind, Variable,
};

fn var(scope: &str, name: &str, code: u16, value: &str) -> Variable {
    Variable {
        namespace: "User".into(),
        name: name.into(),
        path: format!("{scope}.Variables[User::{name}]"),
        scope: scope.into(),
        data_type: code,
        value: value.into(),
        ..Variable::default()
    }
}

fn exe(parent: &str, name: &str, kind: ExecutableKind) -> Executable {
    Executable {
        name: name.into(),
        path: format!("{parent}\\{name}"),
        dtsid: format!("{{{name}}}"),
        ref_id: None,
        description: String::new(),
        executable_type: String::new(),
        creation_name: String::new(),
        kind,
        properties: ExecProperties::default(),
        variables: Vec::new(),
        property_expressions: Vec::new(),
        executables: Vec::new(),
        constraints: Vec::new(),
        event_handlers: Vec::new(),
        object_data: None,
        data_flow: None,
        raw_properties: Default::default(),
    }
}

fn expr_task(parent: &str, name: &str, expression: &str) -> Executable {
    let mut e = exe(parent, name, ExecutableKind::Task(TaskKind::Expression));
    e.object_data = Some(RawXml(format!(
        "<ExpressionTask Expression=\"{}\" />",
        expression.replace('"', "&quot;")
    )));
    e
}

fn link(from: usize, to: usize, value: ExecResult) -> PrecedenceConstraint {
    PrecedenceConstraint {
        from,
        to,
        value,
        logical_and: true,
        ..PrecedenceConstraint::default()
    }
}

fn package() -> Package {
    let mut p = Package::default();
    p.properties.name = "T".into();
    p.properties.max_concurrent_executables = -1;
    p.properties.common = ExecProperties::default();
    p
}

fn run(p: &Package) -> (RunOutcome, Vec<RunEvent>) {
    let rec = Arc::new(Recorder::default());
    let out = run_package(p, &RunOptions::default(), rec.clone());
    (out, rec.events())
}

#[test]
fn for_loop_counts_and_constraints_choose_the_path() {
    let mut p = package();
    p.variables.push(var("\\Package", "N", 3, "0"));
    p.variables.push(var("\\Package", "Sum", 3, "0"));
    let mut fl = exe(
        "\\Package",
        "Loop",
        ExecutableKind::ForLoop(ForLoop {
            init_expression: "@N = 0".into(),
            eval_expression: "@N < 5".into(),
            assign_expression: "@N = @N + 1".into(),
            max_concurrent: 1,
        }),
    );
    fl.executables
        .push(expr_task("\\Package\\Loop", "Add", "@Sum = @Sum + @N"));
    p.executables.push(fl);
    // Success path checks the sum with an expression constraint; failure path must not run.
    p.executables
        .push(expr_task("\\Package", "Good", "@N = 100 + @Sum"));
    p.executables.push(expr_task("\\Package", "Bad", "@N = -1"));
    let mut good = link(0, 1, ExecResult::Success);
    good.eval_op = EvalOp::ExpressionAndConstraint;
    good.expression = "@Sum == 10".into();
    p.constraints.push(good);
    p.constraints.push(link(0, 2, ExecResult::Failure));
    let (out, events) = run(&p);
    assert_eq!(out.result, ExecResult::Success, "{events:#?}");
    let ran: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::ExecutableFinished { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ran.iter().filter(|n| *n == "Add").count(), 5);
    assert!(ran.contains(&"Good".to_string()));
    assert!(!ran.contains(&"Bad".to_string()));
}

#[test]
fn failure_counts_errors_runs_handlers_and_propagates() {
    let mut p = package();
    p.variables.push(var("\\Package", "Seen", 8, ""));
    let mut seq = exe("\\Package", "Seq", ExecutableKind::Sequence);
    // A variable in the sequence shadows the package one of the same name.
    seq.variables
        .push(var("\\Package\\Seq", "Seen", 8, "inner"));
    seq.executables.push(expr_task(
        "\\Package\\Seq",
        "Boom",
        "@[User::Seen] = (DT_WSTR,5) (1/0)",
    ));
    let mut handler = EventHandler {
        event_name: "OnError".into(),
        path: "\\Package.EventHandlers[OnError]".into(),
        properties: ExecProperties::default(),
        ..EventHandler::default()
    };
    handler.executables.push(expr_task(
        "\\Package.EventHandlers[OnError]",
        "Log",
        "@[User::Seen] = @[User::Seen] + @[System::SourceName] + \";\"",
    ));
    p.event_handlers.push(handler);
    p.executables.push(seq);
    let (out, events) = run(&p);
    assert_eq!(out.result, ExecResult::Failure);
    assert_eq!(out.errors, 1);
    let handler_runs = events
        .iter()
        .filter(|e| {
            matches!(
                &e.body,
                EventBody::ExecutableStarted {
                    kind: "EventHandler",
                    ..
                }
            )
        })
        .count();
    assert_eq!(handler_runs, 1, "{events:#?}");

    // MaximumErrorCount 2 lets the package succeed with one error.
    let mut p2 = p.clone();
    p2.properties.common.maximum_error_count = 2;
    p2.executables[0].properties.maximum_error_count = 2;
    let (out2, _) = run(&p2);
    assert_eq!(out2.result, ExecResult::Success);

    // ForceExecutionResult on the failing task hides the failure from its constraints only.
    let mut p3 = package();
    p3.properties.common.maximum_error_count = 0;
    let mut t = expr_task("\\Package", "Fails", "(DT_I4) \"x\"");
    t.properties.force_execution_result = 0;
    p3.executables.push(t);
    p3.executables.push(expr_task("\\Package", "After", "1"));
    p3.constraints.push(link(0, 1, ExecResult::Success));
    let (out3, events3) = run(&p3);
    assert_eq!(out3.result, ExecResult::Success);
    assert!(events3
        .iter()
        .any(|e| matches!(&e.body, EventBody::ExecutableFinished { name, .. } if name == "After")));
}

#[test]
fn disabled_tasks_count_as_success_and_unsupported_tasks_fail() {
    let mut p = package();
    let mut d = expr_task("\\Package", "Off", "1/0");
    d.properties.disabled = true;
    p.executables.push(d);
    p.executables.push(expr_task("\\Package", "Next", "1"));
    p.constraints.push(link(0, 1, ExecResult::Success));
    assert_eq!(run(&p).0.result, ExecResult::Success);
    let mut q = package();
    q.executables.push(exe(
        "\\Package",
        "Sql",
        ExecutableKind::Task(TaskKind::ExecuteSql),
    ));
    let (out, events) = run(&q);
    assert_eq!(out.result, ExecResult::Failure);
    assert!(events.iter().any(|e| matches!(&e.body,
        EventBody::Message { description, .. } if description.contains("Execute SQL task"))));
}
