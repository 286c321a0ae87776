// Long code lines wrap on the page (course.css) instead of scrolling sideways. So that a
// wrapped line cannot be read as a new one (in Python, where a line starts matters), each line
// of a code cell becomes a block whose continuation starts four columns deeper than the line.
document.addEventListener("DOMContentLoaded", () => {
  for (const pre of document.querySelectorAll(".cell_input div.highlight pre")) {
    const lines = [document.createElement("span")];
    const append = (node) => lines[lines.length - 1].appendChild(node);
    for (const node of [...pre.childNodes]) {
      const parts = node.textContent.split("\n");
      parts.forEach((part, index) => {
        if (index > 0) lines.push(document.createElement("span"));
        if (!part) return;
        if (node.nodeType === Node.TEXT_NODE) {
          append(document.createTextNode(part));
        } else {
          const piece = node.cloneNode(false);
          piece.textContent = part;
          append(piece);
        }
      });
    }
    pre.replaceChildren(
      ...lines.map((line) => {
        const indent = line.textContent.length - line.textContent.trimStart().length + 4;
        line.className = "code-line";
        line.style.paddingLeft = `${indent}ch`;
        line.style.textIndent = `-${indent}ch`;
        if (!line.textContent) line.textContent = "\n"; // an empty line: drawn and copied as one
        return line;
      }),
    );
  }
});
