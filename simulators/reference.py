"""Reference data of the plant every simulator models: a cell-therapy CDMO running an autologous
CAR-T process. All five systems seed their own state from it, so that ids agree across systems as
they do in a real plant (the same lot number in ERP, MES and LIMS).
"""

from __future__ import annotations

from typing import Any

SITE = {"id": "CAM", "name": "Cambridge Cell Therapy CDMO", "timezone": "Europe/London"}
PRODUCT = {"code": "CART-19", "name": "Autologous anti-CD19 CAR-T cells", "dosage_form": "suspension for infusion"}

USERS = [
    {"id": "jdoe", "name": "Jane Doe", "role": "operator"},
    {"id": "asmith", "name": "Alex Smith", "role": "operator"},
    {"id": "qa.mlee", "name": "Morgan Lee", "role": "qa"},
    {"id": "qc.rpatel", "name": "Ravi Patel", "role": "qc_analyst"},
    {"id": "sup.kchen", "name": "Kim Chen", "role": "supervisor"},
]

# ISA-88 physical model: Area -> ProcessCell -> Unit
EQUIPMENT: list[dict[str, Any]] = [
    {"id": "CAM-CP", "name": "Cell Processing", "level": "area", "parent": None, "class": "area"},
    {"id": "CP-1", "name": "CAR-T Suite 1", "level": "process_cell", "parent": "CAM-CP", "class": "cleanroom_suite"},
    {"id": "SEL-101", "name": "T-cell selection unit", "level": "unit", "parent": "CP-1", "class": "cell_selector"},
    {"id": "BR-101", "name": "Expansion bioreactor", "level": "unit", "parent": "CP-1", "class": "bioreactor"},
    {"id": "CW-101", "name": "Cell wash and harvest unit", "level": "unit", "parent": "CP-1", "class": "cell_washer"},
    {"id": "FF-101", "name": "Formulation and fill station", "level": "unit", "parent": "CP-1", "class": "filler"},
    {"id": "CRF-101", "name": "Controlled-rate freezer", "level": "unit", "parent": "CP-1", "class": "freezer"},
]

# Process values per unit: tag suffix, UCUM unit, set point, normal range, noise (sd)
PROCESS_VALUES: dict[str, list[dict[str, Any]]] = {
    "BR-101": [
        {"name": "Temperature", "tag": "BR-101/TIC-101/PV", "unit": "Cel", "sp": 37.0, "lo": 36.5, "hi": 37.5,
         "noise": 0.05},
        {"name": "pH", "tag": "BR-101/AIC-102/PV", "unit": "[pH]", "sp": 7.2, "lo": 7.0, "hi": 7.4, "noise": 0.01},
        {"name": "DissolvedOxygen", "tag": "BR-101/AIC-103/PV", "unit": "%", "sp": 40.0, "lo": 30.0, "hi": 60.0,
         "noise": 0.5},
        {"name": "RockingRate", "tag": "BR-101/SIC-104/PV", "unit": "/min", "sp": 10.0, "lo": 6.0, "hi": 14.0,
         "noise": 0.05},
    ],
    "CW-101": [
        {"name": "Temperature", "tag": "CW-101/TI-201/PV", "unit": "Cel", "sp": 20.0, "lo": 15.0, "hi": 25.0,
         "noise": 0.1},
        {"name": "FlowRate", "tag": "CW-101/FI-202/PV", "unit": "mL/min", "sp": 50.0, "lo": 30.0, "hi": 70.0,
         "noise": 0.8},
    ],
    "CRF-101": [
        {"name": "ChamberTemperature", "tag": "CRF-101/TI-301/PV", "unit": "Cel", "sp": 4.0, "lo": -100.0,
         "hi": 25.0, "noise": 0.1},
    ],
}

MATERIALS: list[dict[str, Any]] = [
    {"id": "MAT-APH", "name": "Leukapheresis starting material", "class": "starting_material", "unit": "mL"},
    {"id": "MAT-LVV", "name": "Anti-CD19 CAR lentiviral vector", "class": "raw_material", "unit": "mL"},
    {"id": "MAT-TXA", "name": "T-cell activation reagent (CD3/CD28 nanomatrix)", "class": "raw_material",
     "unit": "mL"},
    {"id": "MAT-MED", "name": "Serum-free T-cell medium with IL-7/IL-15", "class": "raw_material", "unit": "L"},
    {"id": "MAT-BEAD", "name": "CD4/CD8 selection microbeads", "class": "raw_material", "unit": "mL"},
    {"id": "MAT-CS10", "name": "Cryopreservation medium (10% DMSO)", "class": "raw_material", "unit": "mL"},
    {"id": "MAT-BAG", "name": "Cryopreservation infusion bag 250 mL", "class": "consumable", "unit": "{each}"},
    {"id": "MAT-CART", "name": "CART-19 drug product", "class": "final_product", "unit": "mL"},
]

LOTS: list[dict[str, Any]] = [
    {"id": "LVV-24-017", "material": "MAT-LVV", "status": "released", "quantity": 40.0, "unit": "mL",
     "expiry": "2027-06-30"},
    {"id": "TXA-24-102", "material": "MAT-TXA", "status": "released", "quantity": 120.0, "unit": "mL",
     "expiry": "2027-03-31"},
    {"id": "MED-24-330", "material": "MAT-MED", "status": "released", "quantity": 60.0, "unit": "L",
     "expiry": "2027-01-31"},
    {"id": "BEAD-24-044", "material": "MAT-BEAD", "status": "released", "quantity": 75.0, "unit": "mL",
     "expiry": "2027-02-28"},
    {"id": "CS10-24-211", "material": "MAT-CS10", "status": "released", "quantity": 900.0, "unit": "mL",
     "expiry": "2027-09-30"},
    {"id": "BAG-24-900", "material": "MAT-BAG", "status": "released", "quantity": 200.0, "unit": "{each}",
     "expiry": "2029-12-31"},
    {"id": "MED-24-331", "material": "MAT-MED", "status": "quarantine", "quantity": 60.0, "unit": "L",
     "expiry": "2027-02-28"},
]

# Master recipe (ISA-88 procedural model): unit procedures -> operations -> phases with parameters
MASTER_RECIPE: dict[str, Any] = {
    "id": "MR-CART19", "version": 3, "product": "CART-19", "status": "approved",
    "unit_procedures": [
        {"id": "UP-01", "name": "Apheresis receipt", "unit": "CP-1", "phases": [
            {"id": "PH-0101", "name": "Receive and inspect apheresis", "parameters": [
                {"name": "Receipt temperature", "sp": 4.0, "lo": 2.0, "hi": 8.0, "unit": "Cel", "class": "CPP"}]}]},
        {"id": "UP-02", "name": "T-cell selection", "unit": "SEL-101", "phases": [
            {"id": "PH-0201", "name": "CD4/CD8 magnetic selection", "parameters": [
                {"name": "Bead volume", "sp": 7.5, "lo": 7.0, "hi": 8.0, "unit": "mL", "class": "CPP"}]}]},
        {"id": "UP-03", "name": "Activation", "unit": "BR-101", "phases": [
            {"id": "PH-0301", "name": "Activate T cells", "parameters": [
                {"name": "Temperature", "sp": 37.0, "lo": 36.5, "hi": 37.5, "unit": "Cel", "class": "CPP"},
                {"name": "Activation reagent volume", "sp": 1.0, "lo": 0.9, "hi": 1.1, "unit": "mL",
                 "class": "CPP"}]}]},
        {"id": "UP-04", "name": "Transduction", "unit": "BR-101", "phases": [
            {"id": "PH-0401", "name": "Lentiviral transduction", "parameters": [
                {"name": "Multiplicity of infection", "sp": 5.0, "lo": 4.0, "hi": 6.0, "unit": "1",
                 "class": "CPP"}]}]},
        {"id": "UP-05", "name": "Expansion", "unit": "BR-101", "phases": [
            {"id": "PH-0501", "name": "Expand", "parameters": [
                {"name": "Temperature", "sp": 37.0, "lo": 36.5, "hi": 37.5, "unit": "Cel", "class": "CPP"},
                {"name": "pH", "sp": 7.2, "lo": 7.0, "hi": 7.4, "unit": "[pH]", "class": "CPP"},
                {"name": "Dissolved oxygen", "sp": 40.0, "lo": 30.0, "hi": 60.0, "unit": "%", "class": "CPP"},
                {"name": "Duration", "sp": 7.0, "lo": 6.0, "hi": 9.0, "unit": "d", "class": "KPP"}]}]},
        {"id": "UP-06", "name": "Harvest", "unit": "CW-101", "phases": [
            {"id": "PH-0601", "name": "Wash and concentrate", "parameters": [
                {"name": "Flow rate", "sp": 50.0, "lo": 30.0, "hi": 70.0, "unit": "mL/min", "class": "KPP"}]}]},
        {"id": "UP-07", "name": "Formulation and fill", "unit": "FF-101", "phases": [
            {"id": "PH-0701", "name": "Formulate in cryomedium and fill bags", "parameters": [
                {"name": "Fill volume", "sp": 70.0, "lo": 65.0, "hi": 75.0, "unit": "mL", "class": "CQA"}]}]},
        {"id": "UP-08", "name": "Cryopreservation", "unit": "CRF-101", "phases": [
            {"id": "PH-0801", "name": "Controlled-rate freeze", "parameters": [
                {"name": "Cooling rate", "sp": -1.0, "lo": -1.2, "hi": -0.8, "unit": "Cel/min", "class": "CPP"},
                {"name": "End temperature", "sp": -90.0, "lo": -100.0, "hi": -80.0, "unit": "Cel",
                 "class": "CPP"}]}]},
    ],
}

BOM: list[dict[str, Any]] = [
    {"material": "MAT-APH", "quantity": 200.0, "unit": "mL"},
    {"material": "MAT-BEAD", "quantity": 7.5, "unit": "mL"},
    {"material": "MAT-TXA", "quantity": 1.0, "unit": "mL"},
    {"material": "MAT-LVV", "quantity": 2.0, "unit": "mL"},
    {"material": "MAT-MED", "quantity": 5.0, "unit": "L"},
    {"material": "MAT-CS10", "quantity": 70.0, "unit": "mL"},
    {"material": "MAT-BAG", "quantity": 2.0, "unit": "{each}"},
]

# QC release panel: LIMS test code, LOINC-style code where one exists, analyte, unit, limits
RELEASE_TESTS: list[dict[str, Any]] = [
    {"code": "VIAB", "loinc": "33825-6", "analyte": "Viability", "unit": "%", "lo": 70.0, "hi": None,
     "method": "7-AAD flow cytometry", "typical": 91.0},
    {"code": "CD3", "loinc": "8124-0", "analyte": "CD3+ T cells", "unit": "%", "lo": 80.0, "hi": None,
     "method": "Flow cytometry", "typical": 96.5},
    {"code": "CARPOS", "loinc": None, "analyte": "CAR expression", "unit": "%", "lo": 15.0, "hi": None,
     "method": "Flow cytometry (anti-idiotype)", "typical": 42.0},
    {"code": "VCN", "loinc": None, "analyte": "Vector copy number", "unit": "{copies}/{cell}", "lo": None,
     "hi": 5.0, "method": "ddPCR", "typical": 1.8},
    {"code": "TNC", "loinc": None, "analyte": "Total viable cells", "unit": "10*6", "lo": 100.0, "hi": 1000.0,
     "method": "Automated cell count", "typical": 420.0},
    {"code": "ENDO", "loinc": None, "analyte": "Endotoxin", "unit": "[EU]/mL", "lo": None, "hi": 5.0,
     "method": "Kinetic chromogenic LAL", "typical": 0.5},
    {"code": "STER", "loinc": None, "analyte": "Sterility", "unit": None, "text_spec": "No growth",
     "method": "Rapid microbial detection (BacT/ALERT)", "typical": "No growth"},
    {"code": "MYCO", "loinc": None, "analyte": "Mycoplasma", "unit": None, "text_spec": "Not detected",
     "method": "qPCR", "typical": "Not detected"},
]

SPECIFICATION: dict[str, Any] = {
    "id": "SPEC-CART19-REL", "version": 2, "product": "CART-19",
    "limits": [{k: t.get(k) for k in ("code", "analyte", "unit", "lo", "hi", "text_spec")} for t in RELEASE_TESTS],
}


def lot_for_batch(batch_id: str) -> str:
    """The drug product lot a batch produces (ERP convention here: lot = 'L-' + batch id)."""
    return f"L-{batch_id}"
