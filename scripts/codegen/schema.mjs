// Parses the lines of ops.table into op descriptions shared by both emitters.

/** snake_case to camelCase, keeping a trailing underscore (in-place ops). */
export function camel(name) {
  const leading = /^_*/.exec(name)[0];
  const trailing = name.endsWith('_') && name.length > leading.length ? '_' : '';
  const core = name.slice(leading.length, name.length - trailing.length);
  return leading + core.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()) + trailing;
}

function splitTopLevel(text, sep) {
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === sep && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function parseArg(text, kwOnly, where) {
  const m = /^(\S+)\s+(\w+)(?:=(.+))?$/.exec(text);
  if (!m) throw new Error(`${where}: cannot parse argument '${text}'`);
  let [, type, name, dflt] = m;
  const inplaceSelf = type === 'Tensor(a!)' || type === 'Tensor(a!)[]';
  if (inplaceSelf) type = type === 'Tensor(a!)' ? 'Tensor' : 'Tensor[]';
  // The TypeScript side passes a Generator only in the options object: a positional one would
  // make the overload dispatch guess between it and an options object.
  if (type === 'Generator?' && !kwOnly) throw new Error(`${where}: a Generator argument must come after '*'`);
  const fixed = /^int\[(\d+)\]/.exec(type);
  return {
    name,
    type: type.replace(/\[\d+\]/, '[]'),
    size: fixed ? Number(fixed[1]) : 0,
    optional: type.endsWith('?'),
    dflt: dflt === undefined ? undefined : dflt.trim(),
    kwOnly,
    inplaceSelf,
  };
}

function parseReturns(text) {
  text = text.trim();
  if (text === '()') return { kind: 'none' };
  if (text.startsWith('(')) {
    const items = splitTopLevel(text.slice(1, -1), ',').map((r) => {
      const [type, name] = r.split(/\s+/);
      return { type, name };
    });
    return { kind: 'tuple', items };
  }
  if (text === 'Tensor(a!)') return { kind: 'self' };
  return { kind: text };
}

/** The ops of the table; `ops.aliases` holds its alias lines. */
export function parseTable(text) {
  const ops = [];
  const aliases = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `ops.table:${i + 1}`;
    // `<where> <alias> = <name>`: PyTorch's other name for an op of the table (arccos = acos),
    // emitted as a second export of the same TypeScript function, with no native code of its own.
    const alias = /^([fmn]+)\s+(\w+)\s*=\s*(\w+)$/.exec(line);
    if (alias) {
      const [, placement, name, target] = alias;
      aliases.push({
        name: camel(name),
        target: camel(target),
        fn: placement.includes('f'),
        method: placement.includes('m'),
        nn: placement.includes('n'),
        line: i + 1,
      });
      return;
    }
    const m = /^([fmni]+)\s+([\w.]+)\((.*)\)\s*->\s*(.+?)(?:\s*=>\s*(.+))?$/.exec(line);
    if (!m) throw new Error(`${where}: cannot parse '${line}'`);
    const [, placement, fullName, argText, retText, call] = m;
    const [name, overload] = fullName.split('.');
    let kwOnly = false;
    const args = [];
    for (const part of splitTopLevel(argText, ',')) {
      if (part === '*') {
        kwOnly = true;
        continue;
      }
      args.push(parseArg(part, kwOnly, where));
    }
    ops.push({
      name,
      overload,
      id: overload ? `${name}$${overload}` : name,
      tsName: camel(name),
      fn: placement.includes('f'),
      method: placement.includes('m'),
      nn: placement.includes('n'),
      internal: placement.includes('i'),
      args,
      returns: parseReturns(retText),
      call: call?.trim(),
      line: i + 1,
    });
  });
  const ids = new Set();
  for (const op of ops) {
    if (ids.has(op.id)) throw new Error(`ops.table:${op.line}: '${op.id}' is defined twice; give it an .overload`);
    ids.add(op.id);
  }
  ops.aliases = aliases;
  return ops;
}
