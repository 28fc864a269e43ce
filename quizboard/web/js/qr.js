// The join link as a QR code, drawn with the vendored uqr (web/vendor/uqr), and the
// quiz's join code: its number, in groups of three digits, to read from the back of a
// room and type into the join page.
import { encode } from "/web/vendor/uqr/uqr.js";

const SVG = "http://www.w3.org/2000/svg";

/** An <svg> of ``text`` as a QR code (error correction M, a quiet zone of 4 modules),
 * its dark modules one path, described to a screen reader by ``label``. */
export function qrCode(text, label) {
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.classList.add("qr");
  const paper = document.createElementNS(SVG, "rect");
  paper.setAttribute("width", String(size));
  paper.setAttribute("height", String(size));
  paper.setAttribute("fill", "#fff");
  let d = "";
  data.forEach((row, y) => row.forEach((dark, x) => { if (dark) d += `M${x} ${y}h1v1h-1z`; }));
  const ink = document.createElementNS(SVG, "path");
  ink.setAttribute("d", d);
  ink.setAttribute("fill", "#000");
  svg.append(paper, ink);
  return svg;
}

/** A quiz's join code: its number, grouped by threes from the right ("12 345"). */
export function joinCode(quizId) {
  return String(quizId).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}
