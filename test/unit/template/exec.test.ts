import { test } from 'node:test';
import assert from 'node:assert/strict';
import { container as c, execError, run } from './helpers';

test('fields, nested fields and map keys', () => {
  assert.equal(run('{{.ID}}', c), '4c5b7b2e9d1f');
  assert.equal(run('{{.State.Status}} {{.State.Pid}}', c), 'running 4242');
  assert.equal(run('{{.Labels.maintainer}}', c), 'ops');
  assert.equal(run('{{index .Labels "com.docker.compose.project"}}', c), 'shop');
  assert.equal(run('{{.}}', 'plain'), 'plain');
  assert.equal(run('hello {{.Names}}!', c), 'hello web!');
});

test('missing keys print <no value>, nil prints <nil>', () => {
  assert.equal(run('{{.Nope}}', c), '<no value>');
  assert.equal(run('{{.Labels.nope}}', c), '<no value>');
  assert.equal(run('{{.Config.Cmd}}', c), '<nil>');
  assert.equal(run('{{print .Nope}}', c), '<nil>');
  // index of a missing key in a string map yields the zero value ""
  assert.equal(run('[{{index .Labels "nope"}}]', c), '[]');
});

test('method-like fields are called, with arguments', () => {
  const data = { Label: (k: string) => ({ a: 'x' } as Record<string, string>)[k] ?? '', Short: () => 'abc' };
  assert.equal(run('{{.Label "a"}}|{{.Label "b"}}|{{.Short}}', data), 'x||abc');
  assert.equal(run('{{"a" | .Label}}', data), 'x');
});

test('range over slices, maps and ints, with variables and else', () => {
  assert.equal(run('{{range .Ports}}{{.}},{{end}}', c), '80,443,');
  assert.equal(run('{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}', c), '0:PATH=/usr/bin 1:LANG=C ');
  assert.equal(run('{{range $e := .Ports}}<{{$e}}>{{end}}', c), '<80><443>');
  assert.equal(run('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', c), 'a=1;b=2;');
  assert.equal(run('{{range .Config.Labels}}{{.}}{{end}}', c), '12');
  assert.equal(run('{{range .Mounts}}x{{else}}none{{end}}', c), 'none');
  assert.equal(run('{{range .Nope}}x{{else}}none{{end}}', c), 'none');
  assert.equal(run('{{range 3}}{{.}}{{end}}', c), '012');
  assert.equal(run('{{range .Ports}}{{if eq . 443}}{{break}}{{end}}{{.}}{{end}}', c), '80');
  assert.equal(run('{{range .Ports}}{{if eq . 80}}{{continue}}{{end}}{{.}}{{end}}', c), '443');
  assert.equal(run('{{range .Ports}}{{$.Names}}{{end}}', c), 'webweb');
});

test('if / else if / else, with, and truthiness', () => {
  const t = '{{if eq .State.Status "running"}}up{{else if eq .State.Status "exited"}}down{{else}}?{{end}}';
  assert.equal(run(t, c), 'up');
  assert.equal(run(t, { State: { Status: 'exited' } }), 'down');
  assert.equal(run(t, { State: { Status: 'paused' } }), '?');
  assert.equal(run('{{if .Mounts}}y{{else}}n{{end}}{{if .State.ExitCode}}y{{else}}n{{end}}{{if ""}}y{{else}}n{{end}}', c), 'nnn');
  assert.equal(run('{{if .Labels}}y{{end}}{{if .State.Running}}y{{end}}{{if .State.Health}}y{{else}}n{{end}}', c), 'yyn');
  assert.equal(run('{{with .State}}{{.Status}}{{end}}', c), 'running');
  assert.equal(run('{{with .Nope}}x{{else}}empty{{end}}', c), 'empty');
  assert.equal(run('{{with $s := .State}}{{$s.Pid}}{{end}}', c), '4242');
  assert.equal(run('{{with .Nope}}a{{else with .State}}{{.Pid}}{{end}}', c), '4242');
});

test('variables: declaration, assignment, scope, $', () => {
  assert.equal(run('{{$x := .ID}}{{$x}}', c), '4c5b7b2e9d1f');
  assert.equal(run('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', c), '2');
  assert.equal(run('{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}', c), '21');
  assert.equal(run('{{with .State}}{{$.Names}}/{{.Status}}{{end}}', c), 'web/running');
  assert.equal(run('{{$s := .State}}{{$s.Status}}', c), 'running');
});

test('pipelines and parenthesised pipelines', () => {
  assert.equal(run('{{.Names | upper}}', c), 'WEB');
  assert.equal(run('{{"output" | printf "%q"}}', c), '"output"');
  assert.equal(run('{{printf "%q" (print "out" "put")}}', c), '"output"');
  assert.equal(run('{{"put" | printf "%s%s" "out" | printf "%q"}}', c), '"output"');
  assert.equal(run('{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', c), '"output"');
  assert.equal(run('{{(index .Config.Env 1)}}', c), 'LANG=C');
  assert.equal(run('{{(.State).Status}}', c), 'running');
  assert.equal(run('{{len (split .Image ":")}}', c), '2');
});

test('comparisons', () => {
  assert.equal(run('{{eq 1 1}} {{eq 1 2}} {{eq 1 2 3 1}} {{ne "a" "b"}}', c), 'true false true true');
  assert.equal(run('{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2 3}}', c), 'true true false false');
  assert.equal(run('{{lt "a" "b"}} {{gt "b" "a"}} {{eq .State.Status "running"}}', c), 'true true true');
  assert.equal(run('{{if gt .Size 1000}}big{{end}}', c), 'big');
  assert.equal(run('{{eq .Nope nil}} {{eq .Config.Cmd nil}}', c), 'true true');
  execError('{{eq "a" 1}}', c, 'template: :1:2: executing "" at <eq "a" 1>: error calling eq: incompatible types for comparison');
  execError('{{lt true false}}', c, 'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison');
});

test('and / or / not return operands like Go', () => {
  assert.equal(run('{{and 1 0}} {{and 1 "x"}} {{or 0 ""}} {{or 0 "x"}} {{not 0}} {{not "a"}}', c), '0 x  x true false');
  assert.equal(run('{{if and .State.Running (eq .State.ExitCode 0)}}ok{{end}}', c), 'ok');
  // short-circuit: the failing call is never evaluated
  assert.equal(run('{{or 1 (index .Ports 9)}}', c), '1');
});

test('len, index, slice', () => {
  assert.equal(run('{{len .Ports}} {{len .Labels}} {{len "héllo"}}', c), '2 2 6');
  assert.equal(run('{{index .Ports 1}} {{index "abc" 1}}', c), '443 98');
  assert.equal(run('{{slice "abcdef" 1 3}} {{slice .Ports 1}}', c), 'bc [443]');
  execError('{{index .Ports 5}}', c, 'template: :1:2: executing "" at <index .Ports 5>: error calling index: index out of range: 5');
  assert.equal(run('[{{index .Nope "k"}}][{{index .Config.Cmd "k"}}]', c), '[][]'); // nil map: zero value
  execError('{{len 3}}', c, 'template: :1:2: executing "" at <len 3>: error calling len: len of type int');
});

test('docker functions: json split join title lower upper pad truncate', () => {
  assert.equal(run('{{json .Labels}}', c), '{"com.docker.compose.project":"shop","maintainer":"ops"}');
  assert.equal(run('{{json .Ports}} {{json .Nope}} {{json "a<b>&c"}}', c), '[80,443] null "a<b>&c"');
  assert.equal(run('{{split .Image ":"}}', c), '[nginx latest]');
  assert.equal(run('{{join .Config.Env ", "}}', c), 'PATH=/usr/bin, LANG=C');
  assert.equal(run('{{join (split "a.b.c" ".") "/"}}', c), 'a/b/c');
  assert.equal(run('{{title "hello wide-world foo_bar"}}', c), 'Hello Wide-World Foo_bar');
  assert.equal(run('{{lower "MiXed"}} {{upper .Names}} {{upper "straße é"}}', c), 'mixed WEB STRAßE É');
  assert.equal(run('[{{pad .Names 2 3}}][{{pad "" 2 3}}]', c), '[  web   ][]');
  assert.equal(run('{{truncate .ID 4}} {{truncate "ab" 5}} {{truncate "abc" 3}}', c), '4c5b ab abc');
  execError('{{upper 3}}', c, 'template: :1:2: executing "" at <upper 3>: wrong type for value; expected string; got int');
  execError('{{join "a" ","}}', c,
    'template: :1:2: executing "" at <join "a" ",">: wrong type for value; expected []string; got string');
  execError('{{truncate "a"}}', c, 'template: :1:2: executing "" at <truncate "a">: wrong number of args for truncate: want 2 got 1');
});

test('whitespace trimming and comments', () => {
  assert.equal(run('{{23 -}} < {{- 45}}', c), '23<45');
  assert.equal(run('a  {{- .Names -}}\n\t b', c), 'aweb' + 'b');
  assert.equal(run('x{{/* a comment */}}y', c), 'xy');
  assert.equal(run('x \n{{- /* trimmed both sides */ -}}\n y', c), 'xy');
  assert.equal(run('{{-3}}', c), '-3'); // "-3" is a number, not a trim marker
  assert.equal(run('{{range .Ports -}}\n  {{.}}\n{{- end}}', c), '80443');
});

test('literals', () => {
  assert.equal(run('{{"a\\tb\\u00e9\\x41"}}|{{`raw\\n`}}|{{true}}|{{0x1F}}|{{0o17}}|{{017}}|{{1_000}}|{{\'a\'}}', c),
    'a\tbéA|raw\\n|true|31|15|15|1000|97');
  assert.equal(run('{{print nil}} {{-7}} {{+2}} {{1.5}}', c), '<nil> -7 2 1.5');
});

test('define / template / block', () => {
  assert.equal(run('{{define "T"}}[{{.}}]{{end}}{{template "T" .Names}}{{template "T"}}', c), '[web][<no value>]');
  assert.equal(run('{{block "B" .State}}{{.Status}}{{end}}!', c), 'running!');
  assert.equal(run('{{define "r"}}{{if .}}<{{index . 0}}{{template "r" slice . 1}}>{{end}}{{end}}{{template "r" .Ports}}', c),
    '<80<443>>');
  assert.throws(() => run('{{define "r"}}{{template "r"}}{{end}}{{template "r"}}', c), /exceeded maximum template depth/);
  execError('{{template "x"}}', c, 'template: :1:11: executing "" at <{{template "x"}}>: template "x" not defined');
});

test('execution errors carry Go-style context', () => {
  execError('{{.ID.Foo}}', c, 'template: :1:5: executing "" at <.ID.Foo>: can\'t evaluate field Foo in type string');
  execError('x\n {{.Labels.a "arg"}}', c,
    'template: :2:10: executing "" at <.Labels.a>: a is not a method but has arguments');
  execError('{{.ID 3}}', c, 'template: :1:2: executing "" at <.ID>: ID is not a method but has arguments');
  execError('{{range .ID}}{{end}}', c, 'template: :1:8: executing "" at <.ID>: range can\'t iterate over 4c5b7b2e9d1f');
  execError('{{3 4}}', c, 'template: :1:2: executing "" at <3 4>: can\'t give argument to non-function 3');
});

test('caller-supplied functions', () => {
  const funcs = { shout: (s: string) => s.toUpperCase() + '!', fail: () => { throw new Error('boom'); } };
  assert.equal(run('{{shout .Names}} {{.Names | shout}}', c, funcs), 'WEB! WEB!');
  assert.throws(() => run('{{fail}}', c, funcs), /^Error: template: :1:2: executing "" at <fail>: error calling fail: boom$/);
});
