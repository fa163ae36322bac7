// The sign-in page's on-screen keyboard (name, no accents needed: names are compared
// without them) and number pad (PIN). A physical keyboard works as well.
"use strict";
(function () {
  const name = document.getElementById("name");
  const pin = document.getElementById("pin");
  const form = document.getElementById("sign-in");

  function key(label, onPress, extraClass) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.className = "key" + (extraClass ? " " + extraClass : "");
    b.addEventListener("click", onPress);
    return b;
  }

  function typeInto(field, text) {
    if (field.value.length < field.maxLength) field.value += text;
    field.focus();
  }

  function backspace(field) {
    field.value = field.value.slice(0, -1);
    field.focus();
  }

  const keyboard = document.getElementById("keyboard");
  for (const row of ["QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]) {
    const line = document.createElement("div");
    line.className = "row";
    for (const letter of row) {
      line.appendChild(key(letter, () => {
        // Capital first letter of each word, as names are written.
        const start = name.value === "" || name.value.endsWith(" ");
        typeInto(name, start ? letter : letter.toLowerCase());
      }));
    }
    keyboard.appendChild(line);
  }
  const last = document.createElement("div");
  last.className = "row";
  last.appendChild(key("Cách / Space", () => typeInto(name, " "), "wide"));
  last.appendChild(key("⌫", () => backspace(name), "erase"));
  keyboard.appendChild(last);

  const numpad = document.getElementById("numpad");
  for (const digit of "123456789") {
    numpad.appendChild(key(digit, () => typeInto(pin, digit)));
  }
  numpad.appendChild(key("⌫", () => backspace(pin), "erase"));
  numpad.appendChild(key("0", () => typeInto(pin, "0")));
  numpad.appendChild(key("OK", () => form.requestSubmit(), "ok"));

  if (name.value) pin.focus();
})();
