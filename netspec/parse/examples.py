"""Known syntax mistakes -> the hint to show, matched against the parser state by lark's match_examples."""

SYNTAX_EXAMPLES: dict[str, list[str]] = {
    "`@name` is the output of the member labelled `name`; it takes no arguments": [
        "network N { @a() }",
        "network N { a: relu() @a(1) }",
        "network N { concat { @a() } }",
    ],
    "a layer is called with parentheses, e.g. `relu()`": [
        "network N { relu }",
        "network N { relu relu() }",
        "network N { a: relu }",
        "network N { a: relu relu() }",
    ],
    "name a layer with `name: layer(...)`, not `=`": [
        "network N { conv1 = conv(1, 3) }",
    ],
    "separate arguments with commas": [
        "network N { conv(64 3) }",
        "network N { conv(64, 3 stride=2) }",
    ],
    "a keyword argument is written `name=value`": [
        "network N { conv(64, 3, stride: 2) }",
    ],
    "the input shape is a list: `input [3, 32, 32]`": [
        "network N { input 3, 32, 32 }",
        "network N { input (3, 32, 32) }",
    ],
    "a parameter needs a type: `name: int = 3`": [
        "network N(a) { }",
        "network N(a = 3) { }",
        "block B(a) { }",
    ],
    "a conditional expression is written `if test then a else b`": [
        "network N { conv(1 if a else 2, 3) }",
        "network N { conv(1, 3, stride=1 if a else 2) }",
        "network N { let x = 1 if a else 2 }",
    ],
    "a body is written in braces, `{ ... }`, not after `:`": [
        "network N: relu()",
        "network N(a: int): relu()",
        "block B(c: int): { }",
        "block B: { }",
        "network N { for c in [1, 2]: relu() }",
        "network N { for c in range(2): relu() }",
        "network N { if a: relu() }",
        "network N { repeat 2: relu() }",
    ],
    "one `}` too many: nothing is open here": [
        "network N { } }",
        "block B() { } }",
    ],
    "`if test then a else b` is an expression; to choose layers write `if test { ... } else { ... }`": [
        "network N { if a then relu() else gelu() }",
    ],
    "statements are separated by whitespace, not `;` or `,`": [
        "network N { relu(); relu() }",
        "network N { relu(), relu() }",
        "network N { conv(1, 3); relu() }",
        "network N { conv(1, 3), relu() }",
        "network N { a: { relu() }; relu() }",
        "network N { a: { relu() }, relu() }",
    ],
    "layers live inside `network Name { ... }` or `block Name(...) { ... }`": [
        "conv(1, 3)",
        "input [1, 2, 3]",
        "let a = 1",
        "network N { }  conv(1, 3)",
        "network N { }  input [1, 2, 3]",
        'import "a.net"  conv(1, 3)',
    ],
}
