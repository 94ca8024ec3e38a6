"""Executed notebooks are shown without running anything they hold."""

import base64

from nbformat import v4

from sparkgrove.console.notebook_view import notebook_cells

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def test_markdown_html_and_script_outputs_are_shown_as_text() -> None:
    cell = v4.new_code_cell("x")
    cell.outputs = [
        v4.new_output("display_data", data={"text/html": "<script>alert(1)</script>",
                                            "text/plain": "<HTML object>"}),
        v4.new_output("display_data", data={"application/javascript": "alert(1)"}),
        v4.new_output("display_data", data={"image/png": PNG, "text/plain": "a chart"}),
        v4.new_output("display_data", data={"image/png": base64.b64encode(b"GIF89a").decode()}),
        v4.new_output("error", ename="E", evalue="v", traceback=["\x1b[31mred\x1b[0m line"]),
    ]
    notebook = v4.new_notebook(cells=[
        v4.new_markdown_cell("[x](javascript:alert(1)) <img src=x onerror=alert(1)>"), cell])
    markdown, code = notebook_cells(notebook)
    assert 'href="javascript' not in str(markdown["html"]) and "<img" not in str(markdown["html"])
    kinds = [(o["kind"], o.get("text", o.get("src", ""))) for o in code["outputs"]]
    assert kinds[0] == ("text", "<HTML object>")
    assert kinds[1][0] == "text" and "does not show" in kinds[1][1]
    assert kinds[2] == ("image", "data:image/png;base64," + PNG)
    assert kinds[3][0] == "text"  # not a PNG: not shown as an image
    assert kinds[4] == ("error", "red line")
