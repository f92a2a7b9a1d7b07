import { Parser, Language } from 'web-tree-sitter';
await Parser.init();
const [lang, file] = process.argv.slice(2);
const L = await Language.load(`grammars/tree-sitter-${lang}.wasm`);
const p = new Parser(); p.setLanguage(L);
const fs = await import('fs');
const t = p.parse(fs.readFileSync(file,'utf8'));
const walk = (n, d, f) => { console.log(' '.repeat(d*2) + (f?f+': ':'') + n.type + (n.childCount===0? ' '+JSON.stringify(n.text)+(n.isNamed?'':' (anon)'):'')); n.children.forEach((c,i)=>walk(c,d+1,n.fieldNameForChild(i))); };
walk(t.rootNode,0,null);
