"""A ``TreeModel`` as PMML 4.4: a ``TreeModel`` element for one tree, a ``MiningModel`` for
ensembles. Evaluated by any PMML 4.4 consumer, it gives what the ``TreeModel`` gives:

* a threshold split is ``lessOrEqual``; a categorical split is ``isIn`` its left categories (or
  ``isNotIn`` the right ones when the model sends unseen values left, which PMML cannot list);
* ``missingValueStrategy="defaultChild"``: a missing value goes the way ``missing_left`` says,
  and a missing category the way the model's unseen bucket goes; a numeric feature with a fill
  value is replaced by it first (``missingValueReplacement``); categories the model never saw
  are kept as they are (``invalidValueTreatment="asIs"``) and so fail ``isIn``;
* forests average their trees' scores (``average``: class probabilities are averaged);
  boosting sums ``weight * leaf`` (``sum``) and, for classification, chains that sum into a
  ``RegressionModel`` with ``logit`` normalisation and coefficient 2: MLlib's
  ``P(1) = 1 / (1 + exp(-2F))``.

Numbers are written with ``repr``, which reads back as the same double.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from sparkgrove import __version__
from sparkgrove.trees.model import LEAF, FeatureSpec, Tree, TreeModel

NAMESPACE = "http://www.dmg.org/PMML-4_4"
RAW_SCORE = "sparkgrove_raw_score"


def to_pmml(model: TreeModel) -> bytes:
    """The PMML document."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element("PMML", version="4.4", xmlns=NAMESPACE)
    header = ET.SubElement(root, "Header", description=f"sparkgrove {model.task} model, "
                                                       f"{len(model.trees)} tree(s)")
    ET.SubElement(header, "Application", name="sparkgrove", version=__version__)
    _data_dictionary(root, model)
    classification = model.task == "classification"
    function = "classification" if classification else "regression"
    if model.ensemble == "mean" and len(model.trees) == 1:
        element = _tree_model(root, model, model.trees[0], 1.0, function)
        _output(element, model)
    elif model.ensemble == "mean":
        mining = ET.SubElement(root, "MiningModel", functionName=function)
        _mining_schema(mining, model)
        _output(mining, model)
        segments = ET.SubElement(mining, "Segmentation", multipleModelMethod="average")
        for number, tree in enumerate(model.trees, start=1):
            segment = ET.SubElement(segments, "Segment", id=str(number))
            ET.SubElement(segment, "True")
            _tree_model(segment, model, tree, 1.0, function)
    elif not classification:
        mining = ET.SubElement(root, "MiningModel", functionName="regression")
        _mining_schema(mining, model)
        _output(mining, model)
        _boosted_sum(mining, model)
    else:
        mining = ET.SubElement(root, "MiningModel", functionName="classification")
        _mining_schema(mining, model)
        _output(mining, model)
        chain = ET.SubElement(mining, "Segmentation", multipleModelMethod="modelChain")
        first = ET.SubElement(chain, "Segment", id="1")
        ET.SubElement(first, "True")
        booster = ET.SubElement(first, "MiningModel", functionName="regression")
        _mining_schema(booster, model, with_target=False)
        output = ET.SubElement(booster, "Output")
        ET.SubElement(output, "OutputField", name=RAW_SCORE, optype="continuous",
                      dataType="double", feature="predictedValue")
        _boosted_sum(booster, model)
        second = ET.SubElement(chain, "Segment", id="2")
        ET.SubElement(second, "True")
        link = ET.SubElement(second, "RegressionModel", functionName="classification",
                             normalizationMethod="logit")
        schema = ET.SubElement(link, "MiningSchema")
        ET.SubElement(schema, "MiningField", name=model.label.name, usageType="target")
        ET.SubElement(schema, "MiningField", name=RAW_SCORE)
        negative, positive = model.label.classes
        table = ET.SubElement(link, "RegressionTable", intercept="0", targetCategory=positive)
        ET.SubElement(table, "NumericPredictor", name=RAW_SCORE, coefficient="2")
        ET.SubElement(link, "RegressionTable", intercept="0", targetCategory=negative)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _data_dictionary(root: ET.Element, model: TreeModel) -> None:
    fields = ET.SubElement(root, "DataDictionary", numberOfFields=str(len(model.features) + 1))
    for spec in model.features:
        if spec.kind == "categorical":
            field = ET.SubElement(fields, "DataField", name=spec.name, optype="categorical",
                                  dataType="string")
            for value in spec.categories:
                ET.SubElement(field, "Value", value=value)
        else:
            ET.SubElement(fields, "DataField", name=spec.name, optype="continuous",
                          dataType="double")
    if model.task == "classification":
        label = ET.SubElement(fields, "DataField", name=model.label.name, optype="categorical",
                              dataType="string")
        for value in model.label.classes:
            ET.SubElement(label, "Value", value=value)
    else:
        ET.SubElement(fields, "DataField", name=model.label.name, optype="continuous",
                      dataType="double")


def _mining_schema(parent: ET.Element, model: TreeModel, *, with_target: bool = True) -> None:
    schema = ET.SubElement(parent, "MiningSchema")
    for spec in model.features:
        attributes: dict[str, str] = {"name": spec.name, "usageType": "active",
                                      "invalidValueTreatment": "asIs"}
        if spec.fill_value is not None:
            attributes["missingValueReplacement"] = repr(float(spec.fill_value))
        ET.SubElement(schema, "MiningField", attributes)
    if with_target:
        ET.SubElement(schema, "MiningField", name=model.label.name, usageType="target")


def _output(parent: ET.Element, model: TreeModel) -> None:
    output = ET.SubElement(parent, "Output")
    if model.task == "regression":
        ET.SubElement(output, "OutputField", name="prediction", optype="continuous",
                      dataType="double", feature="predictedValue")
        return
    ET.SubElement(output, "OutputField", name="label", optype="categorical", dataType="string",
                  feature="predictedValue")
    for value in model.label.classes:
        ET.SubElement(output, "OutputField", name=f"probability({value})", optype="continuous",
                      dataType="double", feature="probability", value=value)


def _boosted_sum(parent: ET.Element, model: TreeModel) -> None:
    segments = ET.SubElement(parent, "Segmentation", multipleModelMethod="sum")
    for number, (tree, weight) in enumerate(zip(model.trees, model.tree_weights, strict=True),
                                            start=1):
        segment = ET.SubElement(segments, "Segment", id=str(number))
        ET.SubElement(segment, "True")
        _tree_model(segment, model, tree, weight, "regression", with_target=False)


def _tree_model(parent: ET.Element, model: TreeModel, tree: Tree, weight: float, function: str,
                *, with_target: bool = True) -> ET.Element:
    element = ET.SubElement(parent, "TreeModel", functionName=function,
                            missingValueStrategy="defaultChild",
                            noTrueChildStrategy="returnLastPrediction",
                            splitCharacteristic="binarySplit")
    _mining_schema(element, model, with_target=with_target)
    root = ET.SubElement(element, "Node", id="0")
    ET.SubElement(root, "True")
    _node(root, model, tree, 0, weight)
    return element


def _node(element: ET.Element, model: TreeModel, tree: Tree, node: int, weight: float) -> None:
    """Fill ``element`` (whose predicate is written) with ``node``'s score or children."""
    count = float(tree.count[node])
    if count > 0:
        element.set("recordCount", repr(count))
    if tree.feature[node] == LEAF:
        _score(element, model, tree.value[node], weight, count)
        return
    spec = model.features[int(tree.feature[node])]
    left, right = int(tree.left[node]), int(tree.right[node])
    cats = tree.left_categories[node]
    missing_left = bool(tree.missing_left[node])
    if cats is not None:
        missing_left = len(spec.categories) in cats  # missing values take the unseen bucket
    element.set("defaultChild", str(left if missing_left else right))
    left_element = ET.SubElement(element, "Node", id=str(left))
    left_element.append(_predicate(spec, tree, node))
    _node(left_element, model, tree, left, weight)
    right_element = ET.SubElement(element, "Node", id=str(right))
    ET.SubElement(right_element, "True")
    _node(right_element, model, tree, right, weight)


def _predicate(spec: FeatureSpec, tree: Tree, node: int) -> ET.Element:
    cats = tree.left_categories[node]
    if cats is None:
        return ET.Element("SimplePredicate", field=spec.name, operator="lessOrEqual",
                          value=repr(float(tree.threshold[node])))
    unseen = len(spec.categories)
    if unseen in cats:  # unseen values go left: say which known ones go right
        values = [spec.categories[i] for i in range(unseen) if i not in cats]
        operator = "isNotIn"
    else:
        values = [spec.categories[i] for i in sorted(cats)]
        operator = "isIn"
    predicate = ET.Element("SimpleSetPredicate", field=spec.name, booleanOperator=operator)
    array = ET.SubElement(predicate, "Array", n=str(len(values)), type="string")
    array.text = " ".join(_quoted(v) for v in values)
    return predicate


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _score(element: ET.Element, model: TreeModel, value: Any, weight: float,
           count: float) -> None:
    if model.task == "regression" or model.ensemble == "sum":
        score = float(value[0]) if model.ensemble == "mean" else weight * float(value[0])
        element.set("score", repr(score))
        return
    probabilities = [float(v) for v in value]
    best = max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))
    element.set("score", model.label.classes[best])
    for name, probability in zip(model.label.classes, probabilities, strict=True):
        ET.SubElement(element, "ScoreDistribution", value=name,
                      recordCount=repr(probability * count), probability=repr(probability))
